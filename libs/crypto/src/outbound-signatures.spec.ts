import { createHmac } from 'node:crypto';

import { Webhook } from 'standardwebhooks';

import { signOutboundWebhook } from './outbound-signatures';

/** Seed 001's own check, verbatim in logic: HMAC over JSON.stringify of the parsed body, compared whole. */
function seedVerifyWebhook(payload: unknown, signature: string, secret: string): boolean {
  const hash = createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return `sha256=${hash}` === signature;
}

describe('signOutboundWebhook', () => {
  const secret = `whsec_${Buffer.from('a 32-byte key for the unit tests').toString('base64')}`;
  const event = { id: 'evt_1', event: 'record.created', workspace: 'acme', timestamp: '2026-11-26T10:00:00.000Z' };
  const body = JSON.stringify({ ...event, data: { structure: 'orders', recordId: 'r1', record: { total: 99.99 } } });
  const input = {
    secret,
    deliveryId: 'del_1',
    event: 'record.created',
    timestamp: Math.floor(Date.now() / 1000),
    body,
  };

  it("passes the seed's verifyWebhook and the standardwebhooks library", () => {
    const headers = signOutboundWebhook(input);
    expect(seedVerifyWebhook(JSON.parse(body), headers['x-centrali-signature'], secret)).toBe(true);
    expect(seedVerifyWebhook(JSON.parse(body), headers['x-centrali-signature'], 'another secret')).toBe(false);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers).toMatchObject({
      'x-centrali-event': 'record.created',
      'x-centrali-delivery': 'del_1',
      'webhook-id': 'del_1',
      'webhook-timestamp': String(input.timestamp),
    });
    expect(headers).not.toHaveProperty('x-centrali-signature-previous');
  });

  it('signs with the old and the new secret during a change, so either verifies', () => {
    const previous = `whsec_${Buffer.from('the previous key, 32 bytes long!').toString('base64')}`;
    const headers = signOutboundWebhook({ ...input, previousSecret: previous });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(secret).verify(body, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers)).toBeTruthy();
    expect(seedVerifyWebhook(JSON.parse(body), headers['x-centrali-signature'], secret)).toBe(true);
    expect(seedVerifyWebhook(JSON.parse(body), headers['x-centrali-signature-previous'], previous)).toBe(true);
    expect(() => new Webhook(secret).verify(body.replace('99.99', '0.01'), headers)).toThrow();
  });

  it('uses a secret that is not a whsec_ secret as its UTF-8 bytes for Standard Webhooks', () => {
    const plain = 'my-plain-shared-secret';
    const headers = signOutboundWebhook({ ...input, secret: plain });
    expect(new Webhook(Buffer.from(plain).toString('base64')).verify(body, headers)).toBeTruthy();
  });
});
