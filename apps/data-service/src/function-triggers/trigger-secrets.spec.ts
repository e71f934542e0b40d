import {
  generateSecretKeyPair,
  isSealedSecret,
  type SealedSecret,
  SecretOpener,
  SecretSealer,
} from '@signalbox/crypto';

import { sealSecrets } from './trigger-secrets';

describe('sealSecrets', () => {
  const binding = { workspace: 'acme', ownerId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' };
  let sealer: SecretSealer;
  let opener: SecretOpener;

  beforeAll(async () => {
    const pair = await generateSecretKeyPair();
    sealer = await SecretSealer.create({ version: 1, key: pair.publicKey });
    opener = await SecretOpener.create([{ version: 1, key: pair.privateKey }]);
  });

  it('seals {value, encrypt: true} params, unwraps encrypt: false, keeps the rest', async () => {
    const sut = await sealSecrets(
      {
        params: {
          apiKey: { value: 'sk_live_1', encrypt: true },
          region: { value: 'eu', encrypt: false },
          format: 'csv',
        },
      },
      binding,
      sealer,
    );
    const params = sut['params'] as Record<string, unknown>;
    expect(isSealedSecret(params['apiKey'])).toBe(true);
    expect(JSON.stringify(sut)).not.toContain('sk_live_1');
    expect(params['region']).toBe('eu');
    expect(params['format']).toBe('csv');
    await expect(opener.open(params['apiKey'] as never, { ...binding, param: 'params.apiKey' })).resolves.toBe(
      'sk_live_1',
    );
  });

  it('seals {value, encrypt: true} at any depth, each bound to its path, and unwraps encrypt: false there too', async () => {
    const sut = await sealSecrets(
      {
        params: {
          db: { host: 'db.internal', password: { value: 'pw-nested', encrypt: true } },
          keys: [{ value: 'k0', encrypt: true }, 'plain', { deeper: [{ value: { a: 1 }, encrypt: true }] }],
          flags: { debug: { value: true, encrypt: false } },
        },
      },
      binding,
      sealer,
    );
    const params = sut['params'] as {
      db: { host: string; password: SealedSecret };
      keys: [SealedSecret, string, { deeper: [SealedSecret] }];
      flags: unknown;
    };
    expect(JSON.stringify(sut)).not.toMatch(/pw-nested|"k0"/);
    expect(params['db'].host).toBe('db.internal');
    expect(params['keys'][1]).toBe('plain');
    expect(params['flags']).toEqual({ debug: true });
    await expect(opener.open(params['db'].password, { ...binding, param: 'params.db["password"]' })).resolves.toBe(
      'pw-nested',
    );
    await expect(opener.open(params['keys'][0], { ...binding, param: 'params.keys[0]' })).resolves.toBe('k0');
    await expect(
      opener.open(params['keys'][2].deeper[0], { ...binding, param: 'params.keys[2]["deeper"][0]' }),
    ).resolves.toEqual({ a: 1 });
    // Bound to its place: it does not open as another param of the same trigger.
    await expect(opener.open(params['keys'][0], { ...binding, param: 'params.keys[1]' })).rejects.toThrow();
  });

  it('always seals a signing secret, even when sent as plain text, whatever the trigger type', async () => {
    const sut = await sealSecrets({ path: '/s', params: { signingSecret: 'whsec_plain' } }, binding, sealer);
    expect(JSON.stringify(sut)).not.toContain('whsec_plain');
    const secret = (sut['params'] as Record<string, unknown>)['signingSecret'];
    expect(isSealedSecret(secret)).toBe(true);
    await expect(opener.open(secret as never, { ...binding, param: 'params.signingSecret' })).resolves.toBe(
      'whsec_plain',
    );
  });

  it('seals polling headers and keeps already sealed values as they are', async () => {
    const once = await sealSecrets(
      { headers: { Authorization: { value: 'Bearer t', encrypt: true } } },
      binding,
      sealer,
    );
    const twice = await sealSecrets(once, binding, sealer);
    expect(twice).toEqual(once);
    const header = (twice['headers'] as Record<string, unknown>)['Authorization'];
    await expect(opener.open(header as never, { ...binding, param: 'headers.Authorization' })).resolves.toBe(
      'Bearer t',
    );
  });
});
