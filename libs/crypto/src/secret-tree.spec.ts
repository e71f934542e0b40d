import { generateSecretKeyPair, isSealedSecret, SecretOpener, SecretSealer } from './sealed-secrets';
import { openSecretTree, resealSecretTree, sealSecretTree, secretParamName } from './secret-tree';

describe('secret trees', () => {
  const owner = { workspace: 'acme', ownerId: 't1' };
  let sealer: SecretSealer;
  let opener: SecretOpener;

  beforeAll(async () => {
    const pair = await generateSecretKeyPair();
    sealer = await SecretSealer.create({ version: 1, key: pair.publicKey });
    opener = await SecretOpener.create([{ version: 1, key: pair.privateKey }]);
  });

  it('names a top-level param as before and deeper ones with quoted segments', () => {
    expect(secretParamName('params', ['apiKey'])).toBe('params.apiKey');
    expect(secretParamName('params', ['db', 'pass.word', 0])).toBe('params.db["pass.word"][0]');
  });

  it('opens at any depth what it sealed, and leaves everything else as it was', async () => {
    const params = { a: [1, { b: { value: 's', encrypt: true } }], c: { value: 2, encrypt: false }, d: null };
    const sealed = (await sealSecretTree('params', params, owner, sealer)) as { a: [number, { b: unknown }] };
    expect(isSealedSecret(sealed.a[1].b)).toBe(true);
    await expect(openSecretTree('params', sealed, owner, opener)).resolves.toEqual({
      a: [1, { b: 's' }],
      c: 2,
      d: null,
    });
  });

  it('re-seals secrets still in plain text even without an opener, and nothing twice', async () => {
    const stored = { x: { value: 'p', encrypt: true }, y: await sealer.seal('q', { ...owner, param: 'params.y' }) };
    const first = await resealSecretTree('params', stored, owner, { sealer });
    expect(first.count).toBe(1);
    const second = await resealSecretTree('params', first.value, owner, { sealer, opener });
    expect(second.count).toBe(0);
    await expect(openSecretTree('params', second.value, owner, opener)).resolves.toEqual({ x: 'p', y: 'q' });
  });

  it("leaves an object that is not exactly {value, encrypt} as the user's own data", async () => {
    const params = { tls: { encrypt: true, cert: 'pem' }, odd: { value: 1, encrypt: 'yes' } };
    await expect(sealSecretTree('params', params, owner, sealer)).resolves.toEqual(params);
  });
});
