import { type Static, Type } from '@sinclair/typebox';

import { Timestamp, Uuid } from './rest/common';

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

/** `200` answer of an inbound webhook that the trigger's `filter` does not match: verified, nothing started. */
export interface WebhookIgnored {
  readonly ignored: true;
  readonly reason: string;
}

/**
 * `200` answer of Slack's `url_verification` request (after its signature check, on a trigger with provider
 * `slack`): the challenge it sent, so that Slack accepts the URL. Nothing is started.
 */
export interface WebhookChallenge {
  readonly challenge: string;
}

/**
 * A header or query parameter whose name says it carries a credential (`?token=`, `x-api-key`): its value is
 * shown as `[redacted]` in test samples and access logs.
 */
export const CREDENTIAL_LOOKING_NAME =
  /secret|token|passw(or)?d|api[-_]?key|access[-_]?key|signature|^sig$|^auth|credential/i;

/** Headers never passed to a function or stored: they carry credentials. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

/** One request a webhook trigger received, kept so users can build functions against real payloads. */
export const WebhookTestSampleSchema = Type.Object({
  receivedAt: Timestamp,
  method: Type.String(),
  path: Type.String(),
  headers: Type.Record(Type.String(), Type.String(), { description: 'lower-cased; credentials removed' }),
  query: Type.Record(Type.String(), Type.Unknown()),
  body: Type.String({ description: 'the body as text (base64 when it was not UTF-8), at most 64 KB' }),
  bodyEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  bodyTruncated: Type.Boolean(),
  outcome: Type.String({
    description: 'accepted | duplicate | filtered | challenge | signature_failed | invalid_body',
  }),
  jobId: Type.Union([Uuid, Type.Null()]),
});
export type WebhookTestSample = Static<typeof WebhookTestSampleSchema>;
export const WebhookTestSampleListSchema = Type.Object({ samples: Type.Array(WebhookTestSampleSchema) });
export type WebhookTestSampleList = Static<typeof WebhookTestSampleListSchema>;

/** `webhooks.v1.test-samples.list` request (answered by webhook-gateway). */
export interface ListTestSamplesRequest {
  readonly workspace: string;
  readonly triggerId: string;
}

/** How many requests are kept per webhook trigger. */
export const TEST_SAMPLES_KEPT = 20;

/**
 * Endpoint triggers (synchronous): what the caller gets when the trigger's `timeoutMs` passes before the run
 * finishes. `accepted` (default): 202 with the job id and a status URL, and the run goes on. `gateway-timeout`:
 * a plain 504 (the run still goes on: it was accepted).
 */
export const EndpointTimeoutResponses = ['accepted', 'gateway-timeout'] as const;
export type EndpointTimeoutResponse = (typeof EndpointTimeoutResponses)[number];

/** An endpoint trigger's deadline when `timeoutMs` is not set; also its largest allowed value. */
export const ENDPOINT_TIMEOUT_MS = 30_000;

/** `202` answer of an endpoint trigger whose run outlived the trigger's deadline. */
export interface EndpointAccepted {
  readonly jobId: string;
  readonly status: 'running';
  /** The run's status on the REST API (relative to the API's base URL; needs a token with `function-runs:read`). */
  readonly statusUrl: string;
}
