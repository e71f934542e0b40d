import { createHmac } from 'node:crypto';

import { verifyWebhook } from './verify-webhook.js';

const body = '{"event":"function.completed","data":{"jobId":"j1"}}';
const now = 1_765_000_000;
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const secret = `whsec_${key.toString('base64')}`;
const standard = (k: Buffer, id = 'd1', timestamp = now, payload = body) =>
  `v1,${createHmac('sha256', k).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
const headers = (signature: string, timestamp = now) => ({
  'webhook-id': 'd1',
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
  'x-centrali-event': 'function.completed',
});

describe(verifyWebhook.name, () => {
  it('accepts a Standard Webhooks signature and answers the delivery', async () => {
    await expect(verifyWebhook(body, headers(standard(key)), secret, { now })).resolves.toEqual({
      id: 'd1',
      event: 'function.completed',
      timestamp: now,
      payload: { event: 'function.completed', data: { jobId: 'j1' } },
    });
  });

  it('accepts either secret during a rotation, from either side', async () => {
    const old = Buffer.from('old-secret-old-secret-old-secret');
    const signatures = `${standard(key)} ${standard(old)}`;
    await expect(
      verifyWebhook(body, headers(signatures), `whsec_${old.toString('base64')}`, { now }),
    ).resolves.toBeTruthy();
    await expect(
      verifyWebhook(body, headers(standard(old)), ['whsec_bm9wZQ==', `whsec_${old.toString('base64')}`], { now }),
    ).resolves.toBeTruthy();
  });

  it('refuses a changed body, a wrong secret and a replay outside the tolerance', async () => {
    const refused = { status: 401, code: 'INVALID_SIGNATURE' };
    await expect(
      verifyWebhook(body.replace('j1', 'j2'), headers(standard(key)), secret, { now }),
    ).rejects.toMatchObject(refused);
    await expect(verifyWebhook(body, headers(standard(key)), 'whsec_d3Jvbmc=', { now })).rejects.toMatchObject(refused);
    const old = now - 301;
    await expect(verifyWebhook(body, headers(standard(key, 'd1', old), old), secret, { now })).rejects.toMatchObject(
      refused,
    );
  });

  it('refuses a delivery stripped of its timed signature, unless the untimed one is allowed', async () => {
    const hex = (s: string) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
    const centrali = { 'X-Centrali-Signature': hex('plain-secret'), 'x-centrali-delivery': 'd9' };
    await expect(verifyWebhook(body, centrali, 'plain-secret')).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const allowed = { allowUntimedSignature: true };
    await expect(verifyWebhook(Buffer.from(body), centrali, 'plain-secret', allowed)).resolves.toMatchObject({
      id: 'd9',
    });
    await expect(verifyWebhook(body, centrali, 'other', allowed)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    await expect(verifyWebhook(body, {}, 'plain-secret', allowed)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
  });

  it('derives the key from a whsec_ secret as the gateway does (Node base64), whatever the user put after whsec_', async () => {
    for (const secret of ['whsec_my-own_secret-value!!', 'whsec_bm9w ZQ', 'whsec_abc=def-xyz-0123456789']) {
      const gatewayKey = Buffer.from(secret.slice('whsec_'.length), 'base64'); // libs/crypto's standardKey
      await expect(verifyWebhook(body, headers(standard(gatewayKey)), secret, { now })).resolves.toBeTruthy();
    }
  });
});
