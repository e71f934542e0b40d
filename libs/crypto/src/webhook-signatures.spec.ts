import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';

import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';

import {
  verifyWebhookSignature,
  webhookDeliveryId,
  type WebhookSignatureInput,
  type WebhookSignatureProvider,
} from './webhook-signatures';

/**
 * Signatures are made by the providers' own libraries (stripe, @octokit/webhooks-methods, standardwebhooks) or,
 * for Slack and Shopify, which publish none for signing, by their documented recipes written out here.
 */
const payload = JSON.stringify({ id: 'evt_123', type: 'invoice.paid', data: { amount: 4200 } });
const body = Buffer.from(payload);
const now = Date.parse('2026-11-26T10:00:00Z');
const seconds = Math.floor(now / 1000);
const MINUTE = 60_000;

const verify = (provider: WebhookSignatureProvider, input: Partial<WebhookSignatureInput>) =>
  verifyWebhookSignature(provider, { rawBody: body, headers: {}, secret: 'unset', now, ...input });
const tampered = Buffer.from(payload.replace('4200', '4201'));

/** @octokit/webhooks-methods is ESM-only; Jest runs CommonJS, so the signature is made in a child process. */
function githubSign(secret: string, data: string): string {
  const script =
    "import { sign } from '@octokit/webhooks-methods';" +
    'process.stdout.write(await sign(process.env.SECRET, process.env.PAYLOAD));';
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, SECRET: secret, PAYLOAD: data },
    encoding: 'utf8',
  });
}

describe('verifyWebhookSignature', () => {
  describe('stripe (Stripe-Signature, 5-minute tolerance)', () => {
    const secret = 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc';
    const stripe = new Stripe('sk_test_123');
    const header = (timestamp = seconds, signingSecret = secret) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret, timestamp });

    it('accepts what stripe signed', () => {
      expect(verify('stripe', { secret, headers: { 'stripe-signature': header() } })).toEqual({ ok: true });
    });
    it('refuses a tampered body, a wrong secret, a stale or future timestamp and a missing header', () => {
      expect(verify('stripe', { secret, rawBody: tampered, headers: { 'stripe-signature': header() } })).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
      expect(verify('stripe', { secret, headers: { 'stripe-signature': header(seconds, 'whsec_other') } }).ok).toBe(
        false,
      );
      expect(verify('stripe', { secret, headers: { 'stripe-signature': header(seconds - 301) } })).toEqual({
        ok: false,
        reason: 'signature timestamp outside the tolerance',
      });
      expect(verify('stripe', { secret, headers: { 'stripe-signature': header(seconds + 600) } }).ok).toBe(false);
      expect(verify('stripe', { secret }).ok).toBe(false);
    });
  });

  describe('github (X-Hub-Signature-256)', () => {
    const secret = 'It’s a Secret to Everybody';
    const signature = githubSign(secret, payload);

    it('accepts what @octokit/webhooks-methods signed', () => {
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(verify('github', { secret, headers: { 'x-hub-signature-256': signature } })).toEqual({ ok: true });
    });
    it('refuses a tampered body, a wrong secret and the old SHA-1 header alone', () => {
      expect(verify('github', { secret, rawBody: tampered, headers: { 'x-hub-signature-256': signature } }).ok).toBe(
        false,
      );
      expect(verify('github', { secret: 'other', headers: { 'x-hub-signature-256': signature } }).ok).toBe(false);
      expect(verify('github', { secret, headers: { 'x-hub-signature': 'sha1=abc' } }).ok).toBe(false);
    });
  });

  describe('standard-webhooks (webhook-id, webhook-timestamp, webhook-signature)', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = (timestamp = new Date(now), signingSecret = secret) => ({
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(signingSecret).sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp, payload),
    });

    it('accepts what the standardwebhooks library signed, also among several signatures', () => {
      expect(verify('standard-webhooks', { secret, headers: headers() })).toEqual({ ok: true });
      const rolled = headers();
      rolled['webhook-signature'] = `v1,bm90IGl0 ${rolled['webhook-signature']}`;
      expect(verify('standard-webhooks', { secret, headers: rolled })).toEqual({ ok: true });
    });
    it('refuses a tampered body, a wrong secret, a stale timestamp and another message id', () => {
      expect(verify('standard-webhooks', { secret, rawBody: tampered, headers: headers() }).ok).toBe(false);
      const other = 'whsec_' + Buffer.from('another secret of 24 b!!').toString('base64');
      expect(verify('standard-webhooks', { secret, headers: headers(new Date(now), other) }).ok).toBe(false);
      expect(verify('standard-webhooks', { secret, headers: headers(new Date(now - 6 * MINUTE)) }).ok).toBe(false);
      expect(verify('standard-webhooks', { secret, headers: { ...headers(), 'webhook-id': 'msg_other' } }).ok).toBe(
        false,
      );
    });
  });

  describe('svix (svix-id, svix-timestamp, svix-signature: Clerk, Resend and other senders built on Svix)', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = (timestamp = new Date(now), signingSecret = secret) => ({
      'svix-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'svix-signature': new Webhook(signingSecret).sign('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp, payload),
    });

    // Svix signs as Standard Webhooks (whose library Svix maintains) under its own header names; the e2e test signs
    // with the svix package itself.
    it('accepts svix-* headers as the standard-webhooks provider', () => {
      expect(verify('standard-webhooks', { secret, headers: headers() })).toEqual({ ok: true });
    });
    it('refuses a tampered body, a stale timestamp, and a mix of webhook-* and svix-* headers', () => {
      expect(verify('standard-webhooks', { secret, rawBody: tampered, headers: headers() }).ok).toBe(false);
      expect(verify('standard-webhooks', { secret, headers: headers(new Date(now - 6 * MINUTE)) }).ok).toBe(false);
      const { 'svix-id': id, ...rest } = headers();
      expect(verify('standard-webhooks', { secret, headers: { ...rest, 'webhook-id': id } }).ok).toBe(false);
    });
  });

  describe('slack (X-Slack-Signature v0, X-Slack-Request-Timestamp, 5 minutes)', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack: v0= + hex HMAC-SHA256 of "v0:ts:body".
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const sign = (timestamp: number, signingSecret = secret) => ({
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${payload}`).digest('hex')}`,
    });

    it('accepts a request signed by the documented recipe', () => {
      expect(verify('slack', { secret, headers: sign(seconds) })).toEqual({ ok: true });
    });
    it('refuses a tampered body, a wrong secret and a stale timestamp', () => {
      expect(verify('slack', { secret, rawBody: tampered, headers: sign(seconds) }).ok).toBe(false);
      expect(verify('slack', { secret, headers: sign(seconds, 'other') }).ok).toBe(false);
      expect(verify('slack', { secret, headers: sign(seconds - 6 * 60) }).ok).toBe(false);
    });
  });

  describe('shopify (X-Shopify-Hmac-Sha256, base64)', () => {
    // https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook: base64 HMAC of the body.
    const secret = 'shpss_0123456789abcdef';
    const sign = (signingSecret = secret) => ({
      'x-shopify-hmac-sha256': createHmac('sha256', signingSecret).update(body).digest('base64'),
    });

    it('accepts a request signed by the documented recipe', () => {
      expect(verify('shopify', { secret, headers: sign() })).toEqual({ ok: true });
    });
    it('refuses a tampered body and a wrong secret', () => {
      expect(verify('shopify', { secret, rawBody: tampered, headers: sign() }).ok).toBe(false);
      expect(verify('shopify', { secret, headers: sign('other') }).ok).toBe(false);
    });
  });

  describe('hmac-sha256 (configurable header and encoding)', () => {
    const secret = 'generic-secret';
    it('checks the configured header, encoding and prefix', () => {
      const hex = createHmac('sha256', secret).update(body).digest('hex');
      const b64 = createHmac('sha256', secret).update(body).digest('base64');
      expect(verify('hmac-sha256', { secret, headers: { 'x-signature': hex } })).toEqual({ ok: true });
      expect(
        verify('hmac-sha256', {
          secret,
          headers: { 'x-acme-sig': `sha256=${b64}` },
          hmac: { header: 'X-Acme-Sig', encoding: 'base64', prefix: 'sha256=' },
        }),
      ).toEqual({ ok: true });
      expect(verify('hmac-sha256', { secret, rawBody: tampered, headers: { 'x-signature': hex } }).ok).toBe(false);
      expect(verify('hmac-sha256', { secret, headers: { 'x-other': hex } }).ok).toBe(false);
    });
  });
});

describe('webhookDeliveryId', () => {
  it("takes the provider's delivery id, else an Idempotency-Key", () => {
    expect(webhookDeliveryId('stripe', {}, JSON.parse(payload))).toBe('evt_123');
    expect(webhookDeliveryId('github', { 'x-github-delivery': 'd-1' }, {})).toBe('d-1');
    expect(webhookDeliveryId('standard-webhooks', { 'webhook-id': 'msg_1' }, {})).toBe('msg_1');
    expect(webhookDeliveryId('shopify', { 'x-shopify-webhook-id': 's-1' }, {})).toBe('s-1');
    expect(webhookDeliveryId(undefined, { 'idempotency-key': 'k-1' }, {})).toBe('k-1');
    expect(webhookDeliveryId('standard-webhooks', { 'svix-id': 'msg_2' }, {})).toBe('msg_2');
    expect(webhookDeliveryId('slack', { 'x-slack-retry-num': '1' }, { event_id: 'Ev1' })).toBe('Ev1');
    expect(webhookDeliveryId('slack', {}, {})).toBeUndefined();
    expect(webhookDeliveryId(undefined, { 'idempotency-key': 'x'.repeat(300) }, {})).toBeUndefined();
  });
});
