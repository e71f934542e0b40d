import { generateSecretKeyPair, isSealedSecret, SecretOpener, SecretSealer } from '@signalbox/crypto';

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
      'on-demand',
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

  it('always seals a webhook signing secret, even when sent as plain text', async () => {
    const sut = await sealSecrets({ path: '/s', params: { signingSecret: 'whsec_plain' } }, 'webhook', binding, sealer);
    const secret = (sut['params'] as Record<string, unknown>)['signingSecret'];
    expect(isSealedSecret(secret)).toBe(true);
    await expect(opener.open(secret as never, { ...binding, param: 'params.signingSecret' })).resolves.toBe(
      'whsec_plain',
    );
  });

  it('seals polling headers and keeps already sealed values as they are', async () => {
    const once = await sealSecrets(
      { headers: { Authorization: { value: 'Bearer t', encrypt: true } } },
      'polling',
      binding,
      sealer,
    );
    const twice = await sealSecrets(once, 'polling', binding, sealer);
    expect(twice).toEqual(once);
    const header = (twice['headers'] as Record<string, unknown>)['Authorization'];
    await expect(opener.open(header as never, { ...binding, param: 'headers.Authorization' })).resolves.toBe(
      'Bearer t',
    );
  });
});
