import { SignalboxError } from './errors.js';
import { webCrypto } from './web-crypto.js';

export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s): older is a replay. */
  readonly toleranceSeconds?: number;
  /**
   * Also accept a delivery signed only with `X-Centrali-Signature` (default false). That scheme signs no
   * timestamp and no id, so a captured delivery can be sent again at any time; every delivery Signalbox sends
   * carries the Standard Webhooks headers too, so only a receiver behind a proxy that drops them needs this.
   */
  readonly allowUntimedSignature?: boolean;
  /** Now, in Unix seconds (tests). */
  readonly now?: number;
}

export interface VerifiedWebhook {
  /** The delivery's id (signed), the same on every attempt: de-duplicate on it. */
  readonly id: string;
  /** `function.completed`, `record.created`, ... */
  readonly event: string | undefined;
  /** Unix seconds of this attempt (Standard Webhooks), when signed so. */
  readonly timestamp: number | undefined;
  /** The body, parsed. */
  readonly payload: unknown;
}

/**
 * Checks an outbound webhook from Signalbox, as a receiver: `rawBody` exactly as received (before any JSON
 * parsing), its headers, and the subscription's secret, or both secrets while one replaces the other. Resolves
 * with the delivery when a signature matches, else rejects with a `SignalboxError` (401, `INVALID_SIGNATURE`).
 *
 * It checks the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
 * HMAC-SHA256 of `id.timestamp.body`, the key the base64 after `whsec_`), whose signed id and timestamp stop
 * replays. Signalbox also sends `X-Centrali-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, which signs
 * neither: accepted alone only with `allowUntimedSignature`.
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<VerifiedWebhook> {
  const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  const header = (name: string) => headerOf(headers, name);
  const secrets = (typeof secret === 'string' ? [secret] : [...secret]).filter((s) => s.length > 0);
  if (secrets.length === 0) throw new TypeError('verifyWebhook needs the signing secret');
  const fail = (message: string) => new SignalboxError({ status: 401, code: 'INVALID_SIGNATURE', message });

  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  let verified = false;
  if (id && timestamp && signatures) {
    const seconds = Number(timestamp);
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const tolerance = options.toleranceSeconds ?? 300;
    if (!Number.isInteger(seconds) || Math.abs(now - seconds) > tolerance) {
      throw fail(`webhook-timestamp ${timestamp} is more than ${tolerance} s from now`);
    }
    const signed = concat(new TextEncoder().encode(`${id}.${timestamp}.`), body);
    const candidates = signatures
      .split(' ')
      .filter((s) => s.startsWith('v1,'))
      .map((s) => base64Bytes(s.slice(3), true));
    for (const key of secrets.map(standardKey))
      for (const signature of candidates) if (signature && (await hmacMatches(key, signed, signature))) verified = true;
  } else {
    const centrali = header('x-centrali-signature');
    if (!options.allowUntimedSignature) throw fail('no webhook-id, webhook-timestamp and webhook-signature headers');
    if (!centrali) throw fail('no webhook-signature or X-Centrali-Signature header');
    const signature = /^sha256=([0-9a-f]{64})$/i.exec(centrali)?.[1];
    const bytes = signature ? hexBytes(signature) : null;
    if (bytes)
      for (const key of secrets.map((s) => new TextEncoder().encode(s)))
        if (await hmacMatches(key, body, bytes)) verified = true;
  }
  if (!verified) throw fail('no signature matches the secret');

  const text = new TextDecoder().decode(body);
  let payload: unknown = text;
  try {
    payload = JSON.parse(text);
  } catch {
    // not JSON: the text as it is
  }
  return {
    // Without the Standard Webhooks headers (allowUntimedSignature), the id is not signed.
    id: id ?? header('x-centrali-delivery') ?? '',
    event: header('x-centrali-event'),
    timestamp: timestamp ? Number(timestamp) : undefined,
    payload,
  };
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? (value as readonly string[]).join(' ') : (value as string | undefined);
}

/**
 * Standard Webhooks keys: the base64 after `whsec_`, decoded as the gateway decodes it (Node's lenient base64:
 * URL-safe letters too, anything else skipped, up to the first `=`), so a secret of the user's own making that
 * starts with `whsec_` is the same key on both sides; any other secret is used as its UTF-8 bytes.
 */
function standardKey(secret: string): Uint8Array {
  return secret.startsWith('whsec_')
    ? base64Bytes(secret.slice('whsec_'.length), false)
    : new TextEncoder().encode(secret);
}

/** Constant-time: Web Crypto's verify compares the MACs. */
async function hmacMatches(key: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const subtle = (await webCrypto()).subtle;
  const imported = await subtle.importKey('raw', key as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  return subtle.verify('HMAC', imported, signature as BufferSource, data as BufferSource);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 (or base64url) to bytes; `strict`: null for anything but canonical base64, else lenient as Node's. */
function base64Bytes(text: string, strict: true): Uint8Array | null;
function base64Bytes(text: string, strict: false): Uint8Array;
function base64Bytes(text: string, strict: boolean): Uint8Array | null {
  if (strict && !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const out: number[] = [];
  let value = 0;
  let bits = 0;
  for (const char of text) {
    if (char === '=') break;
    const index = char === '-' ? 62 : char === '_' ? 63 : BASE64.indexOf(char);
    if (index < 0) continue;
    value = ((value << 6) | index) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
