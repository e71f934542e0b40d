/**
 * `executionParams` of a run started by an inbound webhook (api-contract.md, webhook triggers): the request as
 * received. `headers` are lower-cased with credentials removed; `body` is parsed JSON when the request was
 * JSON, else text; `rawBody` is the exact bytes, base64.
 */
export interface WebhookRunParams {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  readonly body: unknown;
  readonly rawBody: string;
  readonly receivedAt: string;
  /** The provider's delivery id, when there is one. */
  readonly deliveryId?: string;
}

/** `202` answer of an inbound webhook. `duplicate`: a redelivery within 24 h, nothing new started. */
export interface WebhookAccepted {
  readonly jobId: string;
  readonly duplicate?: true;
}

/** Headers never passed to a function or stored: they carry credentials. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);
