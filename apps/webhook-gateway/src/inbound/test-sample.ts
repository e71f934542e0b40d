import { CREDENTIAL_LOOKING_NAME, type WebhookTestSample } from '@signalbox/contracts';

import { type InboundRequest, normalizeQuery, withoutCredentials } from './inbound-request';
import type { WebhookTrigger } from './inbound-trigger.index';

const SAMPLE_BODY_MAX_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An inbound request as the test sample users see: the first 64 KB of the body (UTF-8, else base64), and no
 * credentials: headers that carry them are dropped, values of names that look like a secret are masked.
 */
export function testSampleOf(
  trigger: WebhookTrigger,
  request: InboundRequest,
  headers: Record<string, string>,
  outcome: string,
  jobId: string | null,
): WebhookTestSample {
  const head = request.rawBody.subarray(0, SAMPLE_BODY_MAX_BYTES);
  const text = utf8OrNull(head);
  return {
    receivedAt: request.receivedAt.toISOString(),
    method: request.method,
    path: trigger.triggerMetadata.path,
    headers: redactSecrets(withoutCredentials(headers)),
    query: redactSecrets(normalizeQuery(request.query)),
    body: text ?? head.toString('base64'),
    bodyEncoding: text === null ? 'base64' : 'utf8',
    bodyTruncated: request.rawBody.length > SAMPLE_BODY_MAX_BYTES,
    outcome,
    jobId,
  };
}

/** Values of headers and query parameters whose names look like credentials, as `[redacted]`. */
function redactSecrets<T>(values: Record<string, T>): Record<string, T | string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, CREDENTIAL_LOOKING_NAME.test(name) ? '[redacted]' : value]),
  );
}

function utf8OrNull(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
