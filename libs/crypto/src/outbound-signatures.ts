import { hmacSha256 } from './hmac';

/** What signs one outbound delivery attempt. */
export interface OutboundSigningInput {
  /** The current signing secret, as the user knows it (a `whsec_...` secret or any other string). */
  readonly secret: string;
  /** The secret before the last change, while it still signs (24 h). */
  readonly previousSecret?: string | null;
  /** The delivery's stable id: `webhook-id` and `X-Centrali-Delivery`, the receiver's de-duplication key. */
  readonly deliveryId: string;
  readonly event: string;
  /** Unix seconds of this attempt. */
  readonly timestamp: number;
  /** The exact bytes sent. */
  readonly body: string;
}

/** Standard Webhooks keys: the base64 after `whsec_`; any other secret is used as its UTF-8 bytes. */
function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret);
}

const centraliSignature = (secret: string, body: string) => `sha256=${hmacSha256(secret, body, 'hex')}`;

const standardSignature = (secret: string, input: OutboundSigningInput) =>
  `v1,${hmacSha256(standardKey(secret), `${input.deliveryId}.${input.timestamp}.${input.body}`, 'base64')}`;

/**
 * The signature headers of an outbound webhook (api-contract.md "Outbound webhooks"):
 * - `X-Centrali-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, which the seed's `verifyWebhook` checks
 *   (it compares the whole header, so it carries the current secret's signature only);
 * - during a secret change, `X-Centrali-Signature-Previous` with the old secret's signature;
 * - the Standard Webhooks trio, `webhook-signature` listing one `v1,` signature per live secret (space-separated,
 *   as the specification allows), so standardwebhooks/svix verify with either secret.
 */
export function signOutboundWebhook(input: OutboundSigningInput): Record<string, string> {
  const previous = input.previousSecret && input.previousSecret !== input.secret ? input.previousSecret : null;
  return {
    'x-centrali-signature': centraliSignature(input.secret, input.body),
    ...(previous ? { 'x-centrali-signature-previous': centraliSignature(previous, input.body) } : {}),
    'x-centrali-event': input.event,
    'x-centrali-delivery': input.deliveryId,
    'webhook-id': input.deliveryId,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': [input.secret, ...(previous ? [previous] : [])]
      .map((secret) => standardSignature(secret, input))
      .join(' '),
  };
}
