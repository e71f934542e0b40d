import createClient, { type Client } from 'openapi-fetch';

import { SignalboxError } from './errors.js';
import type { components, paths } from './generated/data-service.js';
import { type LiveEvent, liveEvents, type LiveTopic } from './live.js';
import { type Page, pages } from './pages.js';
import { retryingFetch, type RetryOptions, sleep } from './retrying-fetch.js';
import { randomId } from './web-crypto.js';

const V1 = '/workspace/{workspace}/api/v1';
type V1 = typeof V1;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** The JSON a route answers with `status`. */
type Answer<P extends keyof paths, M extends Method, S extends number = 200> =
  Operation<P, M> extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;
/** The JSON body a route takes. */
type Body<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;
/** The query a route takes, without `limit`/`page` (the iterators page for you). */
type Query<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Omit<NonNullable<Q>, 'page'> : never;

export type ComputeFunction = Answer<`${V1}/compute-functions/{id}`, 'get'>;
export type CreateComputeFunction = Body<`${V1}/compute-functions`, 'post'>;
export type UpdateComputeFunction = Body<`${V1}/compute-functions/{id}`, 'put'>;
export type FunctionTrigger = Answer<`${V1}/function-triggers/{id}`, 'get'>;
export type CreateFunctionTrigger = Body<`${V1}/function-triggers`, 'post'>;
export type UpdateFunctionTrigger = Body<`${V1}/function-triggers/{id}`, 'put'>;
export type ExecutionType = FunctionTrigger['executionType'];
/** The `triggerMetadata` of one execution type. */
export type TriggerMetadata<T extends ExecutionType = ExecutionType> = Extract<
  FunctionTrigger,
  { executionType: T }
>['triggerMetadata'];
export type FunctionRun = Answer<`${V1}/function-runs/{jobId}`, 'get'>;
export type RunSummary = Answer<`${V1}/function-runs`, 'get'>['runs'][number];
export type RunStatus = FunctionRun['status'];
/** The runs list's filters (status, functionId, triggerId, executionType, from, to, jobId, idempotencyKey, limit). */
export type RunFilters = Query<`${V1}/function-runs`, 'get'>;
export type RunStats = Answer<`${V1}/function-runs/stats`, 'get'>;
export type RunLogs = Answer<`${V1}/function-runs/{jobId}/logs`, 'get'>;
export type BulkRunJob = Answer<`${V1}/function-runs/bulk/{id}`, 'get'>;
export type CreateBulkRunJob = Body<`${V1}/function-runs/bulk`, 'post'>;
export type ExecuteAnswer = Answer<`${V1}/function-triggers/{id}/execute`, 'post'>;
export type RecordEventInput = Body<`${V1}/events`, 'post'>;
export type WebhookSubscription = Answer<`${V1}/webhooks/{id}`, 'get'>;
export type CreateWebhookSubscription = Body<`${V1}/webhooks`, 'post'>;
export type Delivery = Answer<`${V1}/webhooks/{id}/deliveries`, 'get'>['deliveries'][number];
export type SystemStatus = Answer<`${V1}/system/status`, 'get'>;
export type SystemUsage = Answer<`${V1}/system/usage`, 'get'>;
export type WorkspaceRetention = Answer<`${V1}/system/retention`, 'get'>;
export type ApiKey = Answer<`${V1}/api-keys`, 'get'>['apiKeys'][number];
export type CreateApiKey = Body<`${V1}/api-keys`, 'post'>;
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];

/** How long `waitFor` gives the live stream to open before it looks at the run from time to time instead. */
const STREAM_OPEN_TIMEOUT_MS = 3_000;

/** The statuses a run does not leave. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'timed_out', 'cancelled'];

/** Why a queued run waits (`run.waitingFor`), or null when it waits for nothing but its turn. */
export type RunWaitingFor = NonNullable<FunctionRun['waitingFor']>;

/**
 * `waitingFor` in words: "waiting for a concurrency slot (key "c-1", 3rd in line)", "waiting for its throttled
 * start at 2026-12-07T10:00:00.000Z". The CLI and the console say it so.
 */
export function describeWaiting(waiting: RunWaitingFor): string {
  const key = waiting.key
    ? ` (key "${waiting.key}"${waiting.position ? `, ${ordinal(waiting.position)} in line` : ''})`
    : '';
  const until = waiting.until ? ` until ${waiting.until}` : '';
  switch (waiting.reason) {
    case 'concurrency':
      return `waiting for a concurrency slot${key || (waiting.position ? ` (${ordinal(waiting.position)} in line)` : '')}`;
    case 'throttle':
      return `waiting for its throttled start${key}${until}`;
    case 'debounce':
      return `waiting out its debounce period${key}${until}`;
    case 'retry':
      return `waiting for its retry${until}`;
    case 'sleep':
      return `sleeping${until}`;
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export interface SignalboxOptions extends RetryOptions {
  /** data-service's address, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  /** The workspace's slug; the token or API key must hold it. */
  readonly workspace: string;
  /** A JWT (`Authorization: Bearer`), or: */
  readonly token?: string;
  /** an API key (`x-api-key`). */
  readonly apiKey?: string;
  /** Another fetch (a test double, a proxy agent); the global one by default. */
  readonly fetch?: typeof fetch;
}

export interface ExecuteOptions {
  /**
   * Repeats within 24 h answer the first run instead of starting another. Set by the SDK when not given, so a
   * retried execute never starts two runs; give your own to make a retry across processes safe as well.
   */
  readonly idempotencyKey?: string;
}

export interface WaitOptions {
  /** Give up after this long (default 60 s) with a `WAIT_TIMEOUT` error. */
  readonly timeoutMs?: number;
  /** The first pause between two looks (default 100 ms); it grows to 2 s. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The Signalbox REST API of one workspace, typed from the OpenAPI contract. `api` is the raw typed client of
 * every data-service route; `functions`, `triggers`, `runs`, `events` and `webhooks` are the common flows.
 * Failures throw `SignalboxError`; 429 and (where repeating is safe) 503 are retried after `Retry-After`.
 */
export class Signalbox {
  /** Every route of the contract, typed (openapi-fetch): `client.api.GET(path, { params: { path: { workspace } } })`. */
  readonly api: Client<paths>;
  readonly workspace: string;
  private readonly http: { baseUrl: string; headers: Record<string, string>; fetch: typeof fetch };

  constructor(options: SignalboxOptions) {
    if (!options.token && !options.apiKey) throw new TypeError('Signalbox needs a token or an apiKey');
    this.workspace = options.workspace;
    const headers: Record<string, string> = options.token
      ? { authorization: `Bearer ${options.token}` }
      : { 'x-api-key': options.apiKey as string };
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    const plainFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.http = { baseUrl, headers, fetch: plainFetch };
    this.api = createClient<paths>({ baseUrl, headers, fetch: retryingFetch(plainFetch, options) });
  }

  private path<T extends Record<string, string>>(extra?: T): { workspace: string } & T {
    return { workspace: this.workspace, ...(extra as T) };
  }

  readonly functions = {
    create: (body: CreateComputeFunction): Promise<ComputeFunction> =>
      unwrap(this.api.POST(`${V1}/compute-functions`, { params: { path: this.path() }, body })),
    get: (id: string): Promise<ComputeFunction> =>
      unwrap(this.api.GET(`${V1}/compute-functions/{id}`, { params: { path: this.path({ id }) } })),
    update: (id: string, body: UpdateComputeFunction): Promise<ComputeFunction> =>
      unwrap(this.api.PUT(`${V1}/compute-functions/{id}`, { params: { path: this.path({ id }) }, body })),
    delete: (id: string): Promise<unknown> =>
      unwrap(this.api.DELETE(`${V1}/compute-functions/{id}`, { params: { path: this.path({ id }) } })),
    list: (query: Query<`${V1}/compute-functions`, 'get'> = {}): AsyncIterable<ComputeFunction> =>
      pages(async (page) =>
        pageOf(
          'functions',
          await unwrap(
            this.api.GET(`${V1}/compute-functions`, { params: { path: this.path(), query: { ...query, page } } }),
          ),
        ),
      ),
    /** The function with exactly this name, or undefined. */
    findByName: async (name: string): Promise<ComputeFunction | undefined> => {
      for await (const fn of this.functions.list({ search: name, searchField: 'name', limit: 100 }))
        if (fn.name === name) return fn;
      return undefined;
    },
  };

  readonly triggers = {
    create: (body: CreateFunctionTrigger): Promise<FunctionTrigger> =>
      unwrap(this.api.POST(`${V1}/function-triggers`, { params: { path: this.path() }, body })),
    get: (id: string): Promise<FunctionTrigger> =>
      unwrap(this.api.GET(`${V1}/function-triggers/{id}`, { params: { path: this.path({ id }) } })),
    update: (id: string, body: UpdateFunctionTrigger): Promise<FunctionTrigger> =>
      unwrap(this.api.PUT(`${V1}/function-triggers/{id}`, { params: { path: this.path({ id }) }, body })),
    delete: (id: string): Promise<unknown> =>
      unwrap(this.api.DELETE(`${V1}/function-triggers/{id}`, { params: { path: this.path({ id }) } })),
    enable: (id: string): Promise<FunctionTrigger> =>
      unwrap(this.api.POST(`${V1}/function-triggers/{id}/enable`, { params: { path: this.path({ id }) } })),
    disable: (id: string): Promise<FunctionTrigger> =>
      unwrap(this.api.POST(`${V1}/function-triggers/{id}/disable`, { params: { path: this.path({ id }) } })),
    list: (query: Query<`${V1}/function-triggers`, 'get'> = {}): AsyncIterable<FunctionTrigger> =>
      pages(async (page) =>
        pageOf(
          'triggers',
          await unwrap(
            this.api.GET(`${V1}/function-triggers`, { params: { path: this.path(), query: { ...query, page } } }),
          ),
        ),
      ),
    findByName: async (name: string): Promise<FunctionTrigger | undefined> => {
      for await (const trigger of this.triggers.list({ search: name, searchField: 'name', limit: 100 }))
        if (trigger.name === name) return trigger;
      return undefined;
    },
    /** Starts a run of an on-demand trigger with `data` as its `executionParams`; answers its `jobId`. */
    execute: async (
      id: string,
      data: Record<string, unknown> = {},
      options: ExecuteOptions = {},
    ): Promise<ExecuteAnswer> =>
      unwrap(
        this.api.POST(`${V1}/function-triggers/{id}/execute`, {
          params: {
            path: this.path({ id }),
            header: { 'Idempotency-Key': options.idempotencyKey ?? (await randomId()) },
          },
          body: data,
        }),
      ),
  };

  readonly runs = {
    get: (jobId: string): Promise<FunctionRun> =>
      unwrap(this.api.GET(`${V1}/function-runs/{jobId}`, { params: { path: this.path({ jobId }) } })),
    /** Run summaries, newest first (read one run for its input, result and steps). */
    list: (query: Query<`${V1}/function-runs`, 'get'> = {}): AsyncIterable<RunSummary> =>
      pages(async (page) =>
        pageOf(
          'runs',
          await unwrap(
            this.api.GET(`${V1}/function-runs`, { params: { path: this.path(), query: { ...query, page } } }),
          ),
        ),
      ),
    /** How many runs of these functions (up to 100) were queued since `since` (default: 24 h ago), by status. */
    stats: (functionIds: readonly string[], since?: string): Promise<RunStats> =>
      unwrap(
        this.api.GET(`${V1}/function-runs/stats`, {
          params: { path: this.path(), query: { functionId: [...functionIds], since } },
        }),
      ),
    logs: (jobId: string): Promise<RunLogs> =>
      unwrap(this.api.GET(`${V1}/function-runs/{jobId}/logs`, { params: { path: this.path({ jobId }) } })),
    /** One more attempt of a failed, timed-out or cancelled run. */
    retry: (jobId: string) =>
      unwrap(this.api.POST(`${V1}/function-runs/{jobId}/retry`, { params: { path: this.path({ jobId }) } })),
    /**
     * Cancels a queued, retry-waiting or running run: it never starts, or it is stopped in its sandbox. Cancelling
     * a cancelled run answers the same; a finished run is refused (`INVALID_STATUS`).
     */
    cancel: (jobId: string) =>
      unwrap(this.api.POST(`${V1}/function-runs/{jobId}/cancel`, { params: { path: this.path({ jobId }) } })),
    /**
     * Cancels or retries every run a filter matches, in the background: answers the bulk job, whose progress
     * `bulkJob(id)` reads. Each run is acted on once, as a single cancel or retry would.
     */
    bulk: (request: CreateBulkRunJob): Promise<BulkRunJob> =>
      unwrap(this.api.POST(`${V1}/function-runs/bulk`, { params: { path: this.path() }, body: request })),
    bulkJob: (id: string): Promise<BulkRunJob> =>
      unwrap(this.api.GET(`${V1}/function-runs/bulk/{id}`, { params: { path: this.path({ id }) } })),
    /** Stops a bulk job where it is; the runs it acted on stay as they are. */
    cancelBulk: (id: string): Promise<BulkRunJob> =>
      unwrap(this.api.POST(`${V1}/function-runs/bulk/{id}/cancel`, { params: { path: this.path({ id }) } })),
    /**
     * Resolves with the run once it is final (`completed`, `failed`, `timed_out`, `cancelled`), however it
     * ended; a failed run is an answer, not an error. It follows the live stream and reads the run when the
     * stream says it finished (and every 5 s, should an announcement be lost); without a stream it looks with
     * a growing pause (100 ms to 2 s).
     */
    waitFor: async (jobId: string, options: WaitOptions = {}): Promise<FunctionRun> => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const deadline = Date.now() + timeoutMs;
      const stream = new AbortController();
      const stop = () => stream.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', stop, { once: true });
      // No stream in time (an older server, a proxy that holds the answer back): look from time to time instead.
      let opening: ReturnType<typeof setTimeout> | undefined;
      const changes = await Promise.race([
        this.live
          .open({ topics: ['run'], signal: stream.signal })
          .then((events) => new RunChanges(events, jobId))
          .catch(() => null),
        new Promise<null>(
          (resolve) => (opening = setTimeout(() => resolve(null), Math.min(timeoutMs, STREAM_OPEN_TIMEOUT_MS))),
        ),
      ]);
      clearTimeout(opening);
      if (!changes) stream.abort();
      try {
        let pause = options.intervalMs ?? 100;
        for (;;) {
          options.signal?.throwIfAborted();
          const run = await this.runs.get(jobId);
          if (FINAL_RUN_STATUSES.includes(run.status)) return run;
          const left = deadline - Date.now();
          if (left <= 0) {
            const message = `run ${jobId} is still ${run.status} after ${timeoutMs} ms`;
            throw new SignalboxError({ status: 0, code: 'WAIT_TIMEOUT', message });
          }
          if (changes?.open) await changes.finished(Math.min(left, 5_000));
          else await sleep(Math.min(pause, left), options.signal);
          pause = Math.min(2_000, pause * 2);
        }
      } finally {
        options.signal?.removeEventListener('abort', stop);
        stream.abort();
      }
    },
  };

  readonly live = {
    /**
     * Opens the workspace's live stream (`GET /live`, server-sent events) and resolves once the server listens:
     * every change after that is in it. The events of `topics` (by default all the caller may read) follow as
     * they happen, until `signal` aborts. Nothing before the stream opened is replayed: read the records.
     */
    open: async (
      options: { topics?: readonly LiveTopic[]; signal?: AbortSignal } = {},
    ): Promise<AsyncIterable<LiveEvent>> => {
      const query = options.topics ? `?topics=${options.topics.join(',')}` : '';
      const url = `${this.http.baseUrl}/workspace/${encodeURIComponent(this.workspace)}/api/v1/live${query}`;
      const response = await this.http
        .fetch(url, { headers: { ...this.http.headers, accept: 'text/event-stream' }, signal: options.signal })
        .catch((error: unknown) => {
          throw new SignalboxError({
            status: 0,
            code: 'NETWORK_ERROR',
            message: `GET ${url}: ${String(error)}`,
            cause: error,
          });
        });
      if (!response.ok || !response.body) {
        throw SignalboxError.fromAnswer(response, await response.json().catch(() => null));
      }
      const body = response.body;
      return { [Symbol.asyncIterator]: () => liveEvents(body) };
    },
  };

  readonly events = {
    /**
     * Publishes a record event over REST (`POST /events`), for callers without a NATS connection; services
     * with one use `publishRecordEvent` from `@signalbox/sdk/nats`. Set `eventId` to make a repeat harmless.
     */
    publish: async (event: RecordEventInput) => {
      const body = { ...event, eventId: event.eventId ?? (await randomId()) };
      // The eventId makes a repeat harmless (JetStream drops it as a duplicate): the key lets it be retried.
      const headers = { 'Idempotency-Key': body.eventId };
      return unwrap(this.api.POST(`${V1}/events`, { params: { path: this.path() }, body, headers }));
    },
  };

  readonly webhooks = {
    create: (body: CreateWebhookSubscription) =>
      unwrap(this.api.POST(`${V1}/webhooks`, { params: { path: this.path() }, body })),
    get: (id: string): Promise<WebhookSubscription> =>
      unwrap(this.api.GET(`${V1}/webhooks/{id}`, { params: { path: this.path({ id }) } })),
    delete: (id: string): Promise<unknown> =>
      unwrap(this.api.DELETE(`${V1}/webhooks/{id}`, { params: { path: this.path({ id }) } })),
    /** A new generated signing secret, in `secret` of the answer (shown once); the old one signs too for 24 h. */
    rotateSecret: (id: string): Promise<WebhookSubscription> =>
      unwrap(this.api.POST(`${V1}/webhooks/{id}/rotate-secret`, { params: { path: this.path({ id }) } })),
    list: (query: Query<`${V1}/webhooks`, 'get'> = {}): AsyncIterable<WebhookSubscription> =>
      pages(async (page) =>
        pageOf(
          'webhooks',
          await unwrap(this.api.GET(`${V1}/webhooks`, { params: { path: this.path(), query: { ...query, page } } })),
        ),
      ),
    deliveries: (id: string, query: Query<`${V1}/webhooks/{id}/deliveries`, 'get'> = {}): AsyncIterable<Delivery> =>
      pages(async (page) =>
        pageOf(
          'deliveries',
          await unwrap(
            this.api.GET(`${V1}/webhooks/{id}/deliveries`, {
              params: { path: this.path({ id }), query: { ...query, page } },
            }),
          ),
        ),
      ),
  };
}

/** The data of a 2xx answer, or the answer's error thrown as a SignalboxError. */
async function unwrap<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw SignalboxError.fromAnswer(response, error);
  return data as T;
}

function pageOf<K extends string, T>(
  key: K,
  answer: { [P in K]: T[] } & { total: number; page: number; limit: number },
): Page<T> {
  return { items: answer[key], total: answer.total, page: answer.page, limit: answer.limit };
}

/** The live run events of one job, waited for a while at a time (`waitFor`), the next one kept across waits. */
class RunChanges {
  private readonly events: AsyncIterator<LiveEvent>;
  private next: Promise<IteratorResult<LiveEvent>> | null = null;
  open = true;

  constructor(
    events: AsyncIterable<LiveEvent>,
    private readonly jobId: string,
  ) {
    this.events = events[Symbol.asyncIterator]();
  }

  /** Resolves when the stream says the job finished, when it ends, or after `ms`, whichever is first. */
  async finished(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    try {
      for (;;) {
        this.next ??= this.events.next();
        const got = await Promise.race([this.next, timeout]).catch(() => ({ done: true }) as const);
        if (got === 'timeout') return;
        this.next = null;
        if (got.done) {
          this.open = false;
          return;
        }
        const event = got.value;
        if (event.type === 'run' && event.jobId === this.jobId && FINAL_RUN_STATUSES.includes(event.status)) return;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
