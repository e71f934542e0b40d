import type { BulkRunJob, BulkRunJobRequest, CreateBulkRunJobRequest } from './bulk-runs';
import type { GetPollRequest, PollState } from './polling';
import type {
  CancelRunReply,
  EnqueueRunReply,
  EnqueueRunRequest,
  FunctionRunList,
  FunctionRunStats,
  GetRunRequest,
  ListRunsRequest,
  RetryRunReply,
  RunStatsRequest,
  RunWithLogs,
} from './runs';
import type { GetScheduleRequest, TriggerSchedule } from './schedules';
import type { ServiceName } from './services';
import type { ServiceStatus, SystemStatusRequest } from './system-status';
import type { ServiceUsage, SystemUsageRequest, WorkspaceRetentionList } from './system-usage';
import type { ListTestSamplesRequest, WebhookTestSampleList } from './webhooks-inbound';
import type {
  BulkReplayRequest,
  Delivery,
  DeliveryList,
  DeliveryListRequest,
  DeliveryReplayRequest,
  DisableWebhookRequest,
  WebhookReplayResult,
  WebhookTestRequest,
  WebhookTestResult,
} from './webhooks-outbound';

declare const rpcTypes: unique symbol;

/**
 * A request-reply subject that carries the types of its request and its answer: `requestService` (and
 * data-service's `RpcClient`) take the request's type from it and answer the reply's, and the responder's
 * `@MessagePattern` names the same constant. At run time it is the subject string.
 */
export type RpcSubject<Request, Reply> = string & { readonly [rpcTypes]?: (request: Request) => Reply };
const rpc = <Request, Reply>(subject: string) => subject as RpcSubject<Request, Reply>;

/**
 * NATS wire contracts: subjects, streams, durable consumers and KV buckets.
 * A subject string appears nowhere else in the code.
 *
 * Never rename a value: add a v2 and migrate consumers.
 */
export const Subjects = {
  /** Core request-reply: "who are you and are you ready?" Answered by every service (queue group = service name). */
  systemStatus: (service: ServiceName) => rpc<SystemStatusRequest, ServiceStatus>(`system.v1.status.${service}`),
  /** Core request-reply: a workspace's rows and bytes in the service's tables. Answered by services that own tables. */
  systemUsage: (service: ServiceName) => rpc<SystemUsageRequest, ServiceUsage>(`system.v1.usage.${service}`),
  /** Request-reply to data-service: the workspaces with a retention of their own (the keepers ask it hourly). */
  dataWorkspaceRetention: rpc<Record<string, never>, WorkspaceRetentionList>('data.v1.retention.list'),
  /** Public record-event contract: `records.<workspace>.<recordSlug>.<event>`. */
  recordEvent: (workspace: string, recordSlug: string, event: string) => `records.${workspace}.${recordSlug}.${event}`,
  /** Request-reply to compute-runtime: record a queued run and put it on EXECUTIONS; answers the jobId. */
  runtimeEnqueueRun: rpc<EnqueueRunRequest, EnqueueRunReply>('runtime.v1.runs.enqueue'),
  /** Request-reply to compute-runtime: one run of a workspace (or null). */
  runtimeGetRun: rpc<GetRunRequest, RunWithLogs | null>('runtime.v1.runs.get'),
  /** Request-reply to compute-runtime: a page of a workspace's runs. */
  runtimeListRuns: rpc<ListRunsRequest, FunctionRunList>('runtime.v1.runs.list'),
  /** Request-reply to compute-runtime: how many runs of some functions since a time, by status. */
  runtimeRunStats: rpc<RunStatsRequest, FunctionRunStats>('runtime.v1.runs.stats'),
  /** Request-reply to compute-runtime: queue a failed run again (a new attempt, completed steps reused). */
  runtimeRetryRun: rpc<GetRunRequest, RetryRunReply>('runtime.v1.runs.retry'),
  /** Request-reply to compute-runtime: start a bulk job over the runs a filter matches (idempotent by id). */
  runtimeCreateBulkJob: rpc<CreateBulkRunJobRequest, BulkRunJob>('runtime.v1.bulk.create'),
  /** Request-reply to compute-runtime: a bulk job and its progress (or null). */
  runtimeGetBulkJob: rpc<BulkRunJobRequest, BulkRunJob | null>('runtime.v1.bulk.get'),
  /** Request-reply to compute-runtime: stop a bulk job where it is (or null when there is none). */
  runtimeCancelBulkJob: rpc<BulkRunJobRequest, BulkRunJob | null>('runtime.v1.bulk.cancel'),
  /** Request-reply to compute-runtime: cancel a queued, retry-waiting or running run. */
  runtimeCancelRun: rpc<GetRunRequest, CancelRunReply>('runtime.v1.runs.cancel'),
  /**
   * Core (not stored): a run was cancelled while running; every runtime replica listens (`runCancelled('*')`), and
   * the one running it stops its sandbox. The body, `{ "attempt": n }`, names the attempt cancelled (a retry after
   * the cancel is the next one). A lost notice is made up by the holder's next heartbeat.
   */
  runCancelled: (runId: string) => `runs.v1.cancelled.${runId}`,
  /**
   * Core (not stored): compute-runtime announces here that a run which asked for it (`notifyFinished`) has
   * finished, with its result. The webhook-gateway waits on it to answer an endpoint trigger's caller.
   */
  runFinished: (runId: string) => `runs.v1.finished.${runId}`,
  /** Request-reply to scheduler-service: a trigger's schedule (next fire times, last fire, missed fires). */
  schedulerGetSchedule: rpc<GetScheduleRequest, TriggerSchedule | null>('scheduler.v1.schedules.get'),
  /** Request-reply to scheduler-service: a polling trigger's state and cursor. */
  schedulerGetPoll: rpc<GetPollRequest, PollState | null>('scheduler.v1.polls.get'),
  /** Request-reply to webhook-gateway: the latest requests a webhook trigger received. */
  gatewayTestSamples: rpc<ListTestSamplesRequest, WebhookTestSampleList>('webhooks.v1.test-samples.list'),
  /** Request-reply to webhook-gateway: a page of an outbound webhook's deliveries (with their attempts). */
  gatewayListDeliveries: rpc<DeliveryListRequest, DeliveryList>('webhooks.v1.deliveries.list'),
  /** Request-reply to webhook-gateway: send `webhook.test` now and answer the outcome. */
  gatewayTestWebhook: rpc<WebhookTestRequest, WebhookTestResult>('webhooks.v1.test'),
  /** Request-reply to webhook-gateway: deliver one delivery's event again (a new delivery). */
  gatewayReplayDelivery: rpc<DeliveryReplayRequest, Delivery | null>('webhooks.v1.deliveries.replay'),
  /** Request-reply to webhook-gateway: deliver again every delivery of a time range (and status). */
  gatewayReplayDeliveries: rpc<BulkReplayRequest, WebhookReplayResult>('webhooks.v1.replay'),
  /** Request-reply to data-service: disable a subscription that has failed every delivery for too long. */
  dataDisableWebhook: rpc<DisableWebhookRequest, { ok: true }>('data.v1.webhooks.disable'),
  /** Durable execution request for one run. */
  execRequest: (workspace: string, functionId: string) => `exec.${workspace}.${functionId}`,
  /** Lifecycle events that feed outbound webhooks. */
  platformEvent: (workspace: string, event: string) => `events.${workspace}.${event}`,
  /** Record events the router could not use (not JSON, schema broken), with the reason. */
  deadLetterRecords: 'deadletter.records',
  /**
   * A message of a durable consumer that was delivered `NATS_MAX_DELIVERIES` times without being acked: its
   * original bytes, with the original headers and the `DeadLetterHeaders` (`npm run dead-letters`).
   */
  deadLetterMessage: (stream: string) => `deadletter.${stream.toLowerCase()}`,
  /** A durable replay job of an event-driven trigger over a window of RECORD_EVENTS. */
  replayJob: (workspace: string) => `replays.${workspace}`,
  /**
   * Core (not stored): a run or delivery of the workspace changed, or a record event was routed (`LiveEvent`),
   * for `GET /live` streams.
   */
  live: (workspace: string, topic: string) => `live.v1.${workspace}.${topic}`,
  /** Every live topic of one workspace. */
  liveOf: (workspace: string) => `live.v1.${workspace}.>`,
  /** One outbound webhook delivery. */
  delivery: (workspace: string, subscriptionId: string) => `deliveries.${workspace}.${subscriptionId}`,
} as const;

/** The workspace of an execution request's subject (`exec.<workspace>.<functionId>`), or undefined. */
export const workspaceOfExecRequest = (subject: string): string | undefined =>
  subject.startsWith('exec.') ? subject.split('.')[1] : undefined;

/** The headers of a dead letter written by a consumer (`Subjects.deadLetterMessage`). */
export const DeadLetterHeaders = {
  reason: 'Signalbox-Dead-Reason',
  stream: 'Signalbox-Dead-Stream',
  consumer: 'Signalbox-Dead-Consumer',
  subject: 'Signalbox-Dead-Subject',
  sequence: 'Signalbox-Dead-Sequence',
  deliveries: 'Signalbox-Dead-Deliveries',
  at: 'Signalbox-Dead-At',
} as const;

export type StreamStorage = 'file' | 'memory';
export type StreamRetention = 'limits' | 'workqueue';

export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: StreamRetention;
  readonly description: string;
}

/** JetStream streams. Declared idempotently at every service start. */
export const Streams = {
  recordEvents: {
    name: 'RECORD_EVENTS',
    subjects: ['records.>'],
    retention: 'limits',
    description: 'Record events published by users\u2019 services (the public contract).',
  },
  executions: {
    name: 'EXECUTIONS',
    subjects: ['exec.>'],
    retention: 'workqueue',
    description: 'Durable execution requests; one message per run, Nats-Msg-Id = runId.',
  },
  platformEvents: {
    name: 'PLATFORM_EVENTS',
    subjects: ['events.>'],
    retention: 'limits',
    description: 'function.completed, function.failed, trigger.fired: the feed of outbound webhooks.',
  },
  deadLetters: {
    name: 'DEAD_LETTERS',
    subjects: ['deadletter.>'],
    retention: 'limits',
    description: 'Messages a consumer could not use, with the reason and the original subject; kept for inspection.',
  },
  replays: {
    name: 'REPLAYS',
    subjects: ['replays.>'],
    retention: 'workqueue',
    description: 'Replay jobs of event-driven triggers; one message per replay, Nats-Msg-Id = replayId.',
  },
  deliveries: {
    name: 'DELIVERIES',
    subjects: ['deliveries.>'],
    retention: 'workqueue',
    description: 'Outbound webhook deliveries with durable retry backoff.',
  },
} as const satisfies Record<string, StreamSpec>;

export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  /** The service that owns (declares and pulls from) this consumer. */
  readonly owner: ServiceName;
  readonly filterSubject?: string;
  /**
   * How long a message waits before it is delivered again when its handler failed for a reason outside the
   * message (Postgres or NATS unavailable, a timeout): short where a delay is felt, longer where retrying at
   * once would only add load. See `dispositionOfError`.
   */
  readonly retryAfterErrorMs: number;
}

/** Durable pull consumers, one per concern, shared by all replicas of the owning service. */
export const Consumers = {
  recordRouter: {
    stream: Streams.recordEvents.name,
    durable: 'event-router',
    owner: 'event-router',
    retryAfterErrorMs: 1_000,
  },
  routerReplays: {
    stream: Streams.replays.name,
    durable: 'event-router-replays',
    owner: 'event-router',
    retryAfterErrorMs: 5_000,
  },
  runtimeExecutions: {
    stream: Streams.executions.name,
    durable: 'compute-runtime',
    owner: 'compute-runtime',
    retryAfterErrorMs: 5_000,
  },
  /** Run outcomes, for the overlap policies of scheduled triggers (`events.<workspace>.function.<outcome>`). */
  schedulerRunOutcomes: {
    stream: Streams.platformEvents.name,
    durable: 'scheduler-run-outcomes',
    owner: 'scheduler-service',
    filterSubject: 'events.*.function.*',
    retryAfterErrorMs: 1_000,
  },
  gatewayPlatformEvents: {
    stream: Streams.platformEvents.name,
    durable: 'webhook-gateway-events',
    owner: 'webhook-gateway',
    retryAfterErrorMs: 2_000,
  },
  gatewayDeliveries: {
    stream: Streams.deliveries.name,
    durable: 'webhook-gateway-deliveries',
    owner: 'webhook-gateway',
    retryAfterErrorMs: 5_000,
  },
} as const satisfies Record<string, ConsumerSpec>;

/** JetStream key-value buckets. */
export const KvBuckets = {
  /** Trigger configuration for the execution plane: written by data-service after commit, watched by the others. */
  triggers: { bucket: 'triggers', history: 1 },
  /** Function code and limits for the runtime, same rules as `triggers`. */
  functions: { bucket: 'functions', history: 1 },
  /** Outbound webhook subscriptions for the gateway (secrets sealed), same rules as `triggers`. */
  webhooks: { bucket: 'webhooks', history: 1 },
  /**
   * Inbound webhook deliveries seen (key `<workspace>.<triggerId>.<sha256 of the delivery id>`, value the jobId):
   * a provider's redelivery within 24 h answers with the first jobId. Written and read by webhook-gateway.
   */
  webhookDeliveries: { bucket: 'webhook-deliveries', history: 1, ttlMs: 24 * 3600 * 1000 },
  /** Replay jobs' progress (key `<workspace>.<replayId>`): created by data-service, advanced by the router. */
  replays: { bucket: 'replays', history: 1, ttlMs: 7 * 24 * 3600 * 1000 },
} as const;

/**
 * The key data-service writes in each config bucket (`triggers`, `functions`, `webhooks`) once it has made the
 * bucket equal to Postgres. A bucket without it is new or was lost with NATS's data: its silence means "not
 * published yet", not "no triggers", so the execution plane does not act on it (no deleting schedules, no
 * acking events as unrouted) until the marker arrives. Its value: `{ reconciledAt }`.
 */
export const CONFIG_RECONCILED_KEY = '_reconciled';

/** The buckets data-service fills from Postgres and marks with CONFIG_RECONCILED_KEY. */
export const CONFIG_BUCKETS: readonly string[] = [KvBuckets.triggers, KvBuckets.functions, KvBuckets.webhooks].map(
  (spec) => spec.bucket,
);
