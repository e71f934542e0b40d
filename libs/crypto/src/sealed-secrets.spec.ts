import {
  DEVELOPMENT_SECRET_KEYS,
  generateSecretKeyPair,
  isSealedSecret,
  parseVersionedKeys,
  SecretError,
  SecretOpener,
  SecretSealer,
} from './sealed-secrets';

describe('sealed secrets (HPKE X25519 / HKDF-SHA256 / AES-256-GCM)', () => {
  const binding = { workspace: 'acme', ownerId: '6f1c7e40-3d5b-4c1e-9b7a-2f8d1e0c5a11', param: 'apiKey' };
  let sealer: SecretSealer;
  let opener: SecretOpener;

  beforeAll(async () => {
    const pair = await generateSecretKeyPair();
    sealer = await SecretSealer.create({ version: 3, key: pair.publicKey });
    opener = await SecretOpener.create([{ version: 3, key: pair.privateKey }]);
  });

  it('round-trips a value and never stores the plaintext', async () => {
    const sealed = await sealer.seal('sk_live_abc123def456', binding);
    expect(sealed).toMatchObject({ encrypted: true, keyVersion: 3 });
    expect(isSealedSecret(sealed)).toBe(true);
    expect(Buffer.from(sealed.value, 'base64').toString('latin1')).not.toContain('sk_live');
    await expect(opener.open(sealed, binding)).resolves.toBe('sk_live_abc123def456');
  });

  it('round-trips JSON values, and seals the same value differently every time', async () => {
    const first = await sealer.seal({ token: 't', n: 1 }, binding);
    const second = await sealer.seal({ token: 't', n: 1 }, binding);
    expect(first.value).not.toBe(second.value);
    await expect(opener.open(second, binding)).resolves.toEqual({ token: 't', n: 1 });
  });

  it('refuses a ciphertext with one flipped byte', async () => {
    const sealed = await sealer.seal('secret', binding);
    const bytes = Buffer.from(sealed.value, 'base64');
    bytes[bytes.length - 5] ^= 0x01;
    await expect(opener.open({ ...sealed, value: bytes.toString('base64') }, binding)).rejects.toThrow(
      'secret apiKey cannot be opened',
    );
  });

  it.each([
    ['another trigger', { ...binding, ownerId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' }],
    ['another param', { ...binding, param: 'webhookSecret' }],
    ['another workspace', { ...binding, workspace: 'globex' }],
  ])('refuses a ciphertext moved to %s', async (_case, moved) => {
    const sealed = await sealer.seal('secret', binding);
    await expect(opener.open(sealed, moved)).rejects.toThrow(SecretError);
  });

  it('refuses a ciphertext relabelled with another key version', async () => {
    const pair = await generateSecretKeyPair();
    const both = await SecretOpener.create([
      { version: 3, key: (await generateSecretKeyPair()).privateKey },
      { version: 4, key: pair.privateKey },
    ]);
    const sealed = await (await SecretSealer.create({ version: 4, key: pair.publicKey })).seal('x', binding);
    await expect(both.open(sealed, binding)).resolves.toBe('x');
    await expect(both.open({ ...sealed, keyVersion: 3 }, binding)).rejects.toThrow('cannot be opened');
  });

  it('names an unknown key version clearly', async () => {
    const sealed = await sealer.seal('secret', binding);
    await expect(opener.open({ ...sealed, keyVersion: 9 }, binding)).rejects.toThrow(
      'no private key for key version 9 (secret apiKey)',
    );
  });

  it('keeps opening old versions after a rotation', async () => {
    const oldPair = await generateSecretKeyPair();
    const newPair = await generateSecretKeyPair();
    const old = await (await SecretSealer.create({ version: 1, key: oldPair.publicKey })).seal('old', binding);
    const rotated = await SecretOpener.create(parseVersionedKeys(`1:${oldPair.privateKey}, 2:${newPair.privateKey}`));
    expect(rotated.versions).toEqual([1, 2]);
    await expect(rotated.open(old, binding)).resolves.toBe('old');
  });

  it('ships a development key pair that matches', async () => {
    const dev = await SecretSealer.create({ version: 1, key: DEVELOPMENT_SECRET_KEYS.publicKey });
    const devOpener = await SecretOpener.create([{ version: 1, key: DEVELOPMENT_SECRET_KEYS.privateKey }]);
    await expect(devOpener.open(await dev.seal('dev', binding), binding)).resolves.toBe('dev');
  });

  it('parses "<version>:<base64>" key settings and refuses others', () => {
    expect(parseVersionedKeys('1:AAAA,2:BBBB')).toEqual([
      { version: 1, key: 'AAAA' },
      { version: 2, key: 'BBBB' },
    ]);
    expect(() => parseVersionedKeys('AAAA')).toThrow('a key must look like "<version>:<base64>"');
  });
});
