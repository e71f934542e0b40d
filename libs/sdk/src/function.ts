/**
 * Types for code that runs inside Signalbox's sandbox, for an editor to check a function as it is written.
 * Reference them from a function file (`/// <reference types="@signalbox/sdk/function" />`) or list
 * `"@signalbox/sdk/function"` in the tsconfig's `types`; then `executionParams`, `triggerParams` and `api` are
 * known globals. Narrow `executionParams` to the trigger's type, e.g. `executionParams as RecordEventParams`.
 */

/** What `api.fetch` answers: a copy of the response, its body read whole (at most the operator's cap). */
export interface SandboxResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
}

export interface SandboxFetchInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The platform's functions, on the global `api`. */
export interface SignalboxApi {
  /** A line in the run's logs (`GET /function-runs/{jobId}/logs`); values are stored as JSON. */
  log(...args: unknown[]): void;
  /** Outbound HTTP, guarded: public addresses only unless the operator allows more; at most 50 per run. */
  fetch(url: string, init?: SandboxFetchInit): Promise<SandboxResponse>;
  /**
   * Runs `fn` once per run and records its output: a retried run gets the recorded output back without
   * calling `fn` again. Give each step a stable, unique id.
   */
  step<T>(id: string, fn: () => T | Promise<T>): Promise<T>;
}

/** `executionParams` of an event-driven run. */
export interface RecordEventParams {
  readonly eventId: string;
  readonly event: string;
  readonly workspaceSlug: string;
  readonly recordSlug: string;
  readonly recordId: string;
  readonly data: Record<string, unknown>;
  readonly timestamp: string;
  /** The stream sequence: larger is later. */
  readonly sequence: number;
  readonly isReplay: boolean;
  readonly replayId?: string;
}

/** `executionParams` of a webhook or endpoint run: the request as received. */
export interface WebhookRunParams {
  readonly method: string;
  readonly path: string;
  /** Lower-cased, credentials removed. */
  readonly headers: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  /** Parsed JSON when the request was JSON, else text. */
  readonly body: unknown;
  /** The exact bytes, base64. */
  readonly rawBody: string;
  readonly receivedAt: string;
  /** The provider's delivery id, when there is one. */
  readonly deliveryId?: string;
}

declare global {
  /** The run's input: the execute body, the record event, the request, the schedule's or the poll's item. */
  const executionParams: Record<string, unknown>;
  /** The trigger's `triggerMetadata.params`, secrets opened. */
  const triggerParams: Record<string, unknown>;
  const api: SignalboxApi;
}
