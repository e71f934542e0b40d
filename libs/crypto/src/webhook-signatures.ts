import { constantTimeEqual, hmacSha256 } from './hmac';

/** The providers whose inbound webhook signatures Signalbox checks (api-contract.md, webhook triggers). */
export type WebhookSignatureProvider = 'stripe' | 'github' | 'slack' | 'shopify' | 'standard-webhooks' | 'hmac-sha256';

/** Generic `hmac-sha256`: where the signature is and how it is written. */
export interface GenericHmacOptions {
  /** Header that carries the signature (lower-case). Default `x-signature`. */
  readonly header?: string;
  readonly encoding?: 'hex' | 'base64';
  /** A prefix before the signature, such as `sha256=`. Default none. */
  readonly prefix?: string;
}

export interface WebhookSignatureInput {
  /** The exact bytes received: signatures are over these, never over re-serialized JSON. */
  readonly rawBody: Uint8Array;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly secret: string;
  /** The clock, in ms (tests pass a fixed one). */
  readonly now: number;
  /** Largest allowed distance between the signed timestamp and now, for providers that sign one. */
  readonly toleranceMs?: number;
  readonly hmac?: GenericHmacOptions;
}

export type WebhookSignatureResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

const ok: WebhookSignatureResult = { ok: true };
const fail = (reason: string): WebhookSignatureResult => ({ ok: false, reason });

const concat = (...parts: Array<string | Uint8Array>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

/** A signed timestamp in seconds, checked against the clock. */
function checkTimestamp(value: string | undefined, input: WebhookSignatureInput): WebhookSignatureResult {
  if (!value || !/^\d{1,12}$/.test(value)) return fail('missing or malformed signature timestamp');
  const distance = Math.abs(input.now - Number(value) * 1000);
  return distance <= (input.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS)
    ? ok
    : fail('signature timestamp outside the tolerance');
}

/**
 * The id, timestamp and signature of a Standard Webhooks request: the `webhook-*` headers, or all three `svix-*`
 * ones when no `webhook-id` is there (never a mix of the two).
 */
function standardWebhookHeaders(
  headers: Readonly<Record<string, string | undefined>>,
): [string | undefined, string | undefined, string | undefined] {
  const prefix = headers['webhook-id'] === undefined && headers['svix-id'] !== undefined ? 'svix' : 'webhook';
  return [headers[`${prefix}-id`], headers[`${prefix}-timestamp`], headers[`${prefix}-signature`]];
}

/** True when any candidate equals the expected signature (each compared in constant time). */
const anyEqual = (expected: string, candidates: readonly string[]) =>
  candidates.reduce((found, candidate) => constantTimeEqual(expected, candidate) || found, false);

/**
 * Verifies an inbound webhook's signature the way its provider documents it, over the exact raw bytes, with
 * constant-time comparisons. Answers why it failed (for logs and metrics; the caller answers 401 without it).
 */
export function verifyWebhookSignature(
  provider: WebhookSignatureProvider,
  input: WebhookSignatureInput,
): WebhookSignatureResult {
  const { headers, rawBody, secret } = input;
  switch (provider) {
    case 'stripe': {
      // Stripe-Signature: t=<unix seconds>,v1=<hex HMAC of "t.body">[,v1=...] (several during secret rolls).
      const header = headers['stripe-signature'];
      if (!header) return fail('missing Stripe-Signature header');
      const pairs = header.split(',').map((pair) => pair.split('=', 2) as [string, string | undefined]);
      const timestamp = pairs.find(([key]) => key.trim() === 't')?.[1];
      const signatures = pairs.filter(([key, value]) => key.trim() === 'v1' && value).map(([, value]) => value!.trim());
      if (signatures.length === 0) return fail('no v1 signature in Stripe-Signature');
      const time = checkTimestamp(timestamp, input);
      if (!time.ok) return time;
      const expected = hmacSha256(secret, concat(`${timestamp}.`, rawBody), 'hex');
      return anyEqual(expected, signatures) ? ok : fail('signature mismatch');
    }
    case 'github': {
      // X-Hub-Signature-256: sha256=<hex HMAC of body>.
      const header = headers['x-hub-signature-256'];
      if (!header?.startsWith('sha256=')) return fail('missing X-Hub-Signature-256 header');
      const expected = `sha256=${hmacSha256(secret, rawBody, 'hex')}`;
      return constantTimeEqual(expected, header) ? ok : fail('signature mismatch');
    }
    case 'slack': {
      // X-Slack-Signature: v0=<hex HMAC of "v0:timestamp:body">, with X-Slack-Request-Timestamp.
      const header = headers['x-slack-signature'];
      const timestamp = headers['x-slack-request-timestamp'];
      if (!header?.startsWith('v0=')) return fail('missing X-Slack-Signature header');
      const time = checkTimestamp(timestamp, input);
      if (!time.ok) return time;
      const expected = `v0=${hmacSha256(secret, concat(`v0:${timestamp}:`, rawBody), 'hex')}`;
      return constantTimeEqual(expected, header) ? ok : fail('signature mismatch');
    }
    case 'shopify': {
      // X-Shopify-Hmac-Sha256: <base64 HMAC of body>.
      const header = headers['x-shopify-hmac-sha256'];
      if (!header) return fail('missing X-Shopify-Hmac-Sha256 header');
      return constantTimeEqual(hmacSha256(secret, rawBody, 'base64'), header.trim()) ? ok : fail('signature mismatch');
    }
    case 'standard-webhooks': {
      // webhook-signature: "v1,<base64 HMAC of id.timestamp.body>" (space-separated list); key = base64 after whsec_.
      // Senders built on Svix (Clerk, Resend, ...) sign the same way under svix-* names.
      const [id, timestamp, header] = standardWebhookHeaders(headers);
      if (!id || !header) return fail('missing webhook-id or webhook-signature header (or svix-id, svix-signature)');
      const time = checkTimestamp(timestamp, input);
      if (!time.ok) return time;
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
      const expected = hmacSha256(key, concat(`${id}.${timestamp}.`, rawBody), 'base64');
      const signatures = header
        .split(' ')
        .filter((entry) => entry.startsWith('v1,'))
        .map((entry) => entry.slice(3));
      return anyEqual(expected, signatures) ? ok : fail('signature mismatch');
    }
    case 'hmac-sha256': {
      const options = input.hmac ?? {};
      const header = headers[(options.header ?? 'x-signature').toLowerCase()];
      if (!header) return fail(`missing ${options.header ?? 'x-signature'} header`);
      const expected = `${options.prefix ?? ''}${hmacSha256(secret, rawBody, options.encoding ?? 'hex')}`;
      return constantTimeEqual(expected, header.trim()) ? ok : fail('signature mismatch');
    }
  }
}

/**
 * The provider's id of one delivery, used to answer a redelivery with the first job: Stripe's event id,
 * `X-GitHub-Delivery`, `webhook-id` (or `svix-id`), Shopify's `X-Shopify-Webhook-Id`, Slack's `event_id`, else an
 * `Idempotency-Key` header.
 */
export function webhookDeliveryId(
  provider: WebhookSignatureProvider | undefined,
  headers: Readonly<Record<string, string | undefined>>,
  body: unknown,
): string | undefined {
  const fromProvider = (() => {
    switch (provider) {
      case 'stripe':
        return typeof (body as { id?: unknown })?.id === 'string' ? (body as { id: string }).id : undefined;
      case 'github':
        return headers['x-github-delivery'];
      case 'shopify':
        return headers['x-shopify-webhook-id'];
      case 'standard-webhooks':
        return standardWebhookHeaders(headers)[0];
      case 'slack': {
        // Events API: a retry (X-Slack-Retry-Num) carries the event_id of the first try.
        const eventId = (body as { event_id?: unknown } | null)?.event_id;
        return typeof eventId === 'string' ? eventId : undefined;
      }
      case 'hmac-sha256':
      case undefined:
        return undefined;
    }
  })();
  const id = fromProvider ?? headers['idempotency-key'];
  return id && id.length <= 256 ? id : undefined;
}
