import { type Static, type TLiteral, type TObject, type TSchema, type TUnion, Type } from '@sinclair/typebox';

import { ENDPOINT_TIMEOUT_MS, EndpointTimeoutResponses } from '../webhooks-inbound';

/**
 * `triggerMetadata`, one schema per execution type: its fields, their types and ranges, for the OpenAPI
 * document (a client generator gives each trigger type its own fields) and for the keys the trigger validator
 * allows. The validator (data-service) adds the rules a schema cannot say with the seed's messages: a cron
 * that never fires, `interval` or `cron`, a signing secret when signatures are checked.
 */

export const ExecutionTypes = ['on-demand', 'event-driven', 'scheduled', 'webhook', 'endpoint', 'polling'] as const;
export type ExecutionType = (typeof ExecutionTypes)[number];

/** The eight record events of seed 000, in the seed's order (its error message lists them so). */
export const RecordEventNames = [
  'record_created',
  'record_updated',
  'record_deleted',
  'record_restored',
  'record_reverted',
  'record_create_failed',
  'record_updated_failed',
  'record_deleted_failed',
] as const;
export type RecordEventName = (typeof RecordEventNames)[number];

export const WebhookProviders = ['stripe', 'github', 'slack', 'shopify', 'standard-webhooks', 'hmac-sha256'] as const;
export const EndpointMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const CatchUpPolicies = ['none', 'one', 'all'] as const;
/** `triggerMetadata.retry.backoff`: the wait before attempt n+1 is `delayMs` (fixed) or `delayMs * 2^(n-1)`. */
export const RetryBackoffs = ['exponential', 'fixed'] as const;
export const MAX_RETRY_ATTEMPTS = 10;
export const MAX_RETRY_DELAY_MS = 3_600_000;
export const OverlapPolicies = ['allow', 'skip', 'buffer-one'] as const;
/** A cron fire whose local time does not exist (clocks spring forward): `shift` to the next valid minute, or `skip`. */
export const DstGapPolicies = ['shift', 'skip'] as const;

export const MAX_INTERVAL_SECONDS = 31_536_000;
export const MIN_POLLING_INTERVAL_SECONDS = 10;
export const TRIGGER_PATH_PATTERN = '^/[A-Za-z0-9\\-._~/]{0,255}$';
/** A record slug as it appears in a subject token: letters, digits, `-` and `_`. */
export const RECORD_SLUG_PATTERN = '^[A-Za-z0-9_-]{1,128}$';

/** One of `values`: a union of literals, whose static type is the values' union (not `string`). */
const oneOf = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    description ? { description } : {},
  ) as TUnion<Array<TLiteral<T[number]>>>;

/** A value to seal: `{"value": ..., "encrypt": true}`. Stored and answered sealed (`SealedSecret`). */
const SecretInput = Type.Object(
  { value: Type.Unknown(), encrypt: Type.Boolean() },
  { $id: 'SecretInput', additionalProperties: false, description: 'Sealed when stored if `encrypt` is true.' },
);
/** A sealed secret as the API answers it; sent back unchanged, it keeps its value. */
const SealedSecret = Type.Object(
  { value: Type.String(), encrypted: Type.Literal(true), keyVersion: Type.Integer({ minimum: 1 }) },
  { $id: 'SealedSecret', description: 'A secret as stored: only the execution plane can open it.' },
);
const Secret = Type.Union([Type.String(), SecretInput, SealedSecret]);

const Params = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Handed to the function as `triggerParams`. `{"value": ..., "encrypt": true}` at any depth is sealed when stored.',
});
const InputSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: 'A JSON Schema (draft 2020-12) the input must match; a mismatch answers 400.',
});
const Filter = Type.Record(Type.String(), Type.Unknown(), {
  description: 'A condition over the input (docs/api.md "Filters"); runs start only when it holds.',
});
const Retry = Type.Object(
  {
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RETRY_ATTEMPTS })),
    backoff: Type.Optional(oneOf(RetryBackoffs)),
    delayMs: Type.Optional(Type.Integer({ minimum: 100, maximum: MAX_RETRY_DELAY_MS })),
  },
  { $id: 'RetryPolicy', additionalProperties: false, description: 'Retries of a failed run (docs/retries.md).' },
);
/** `executionParams` and a path into it: the value whose runs share a limit (docs/run-control.md "Keys"). */
export const FLOW_KEY_PATTERN = '^executionParams(\\.[A-Za-z0-9_-]{1,64}){0,8}$';
export const MAX_FLOW_LIMIT = 1000;
export const MAX_FLOW_PERIOD_MS = 86_400_000;
/** `priority` by name: seconds of head start among waiting runs (a number says it directly). */
export const PriorityNames = ['high', 'normal', 'low'] as const;
export const MAX_PRIORITY_SECONDS = 600;
const FlowKey = Type.Optional(
  Type.String({
    pattern: FLOW_KEY_PATTERN,
    description:
      "A path into the run's input, e.g. `executionParams.data.customerId`: runs with the same value share the limit. " +
      'Without it, every run of the trigger shares one.',
  }),
);
const FlowLimit = Type.Integer({ minimum: 1, maximum: MAX_FLOW_LIMIT });
const Concurrency = Type.Object(
  { limit: FlowLimit, key: FlowKey },
  {
    $id: 'ConcurrencyLimit',
    additionalProperties: false,
    description: 'At most `limit` runs of this trigger at once per key; the rest wait, in order (docs/run-control.md).',
  },
);
const Throttle = Type.Object(
  { limit: FlowLimit, periodMs: Type.Integer({ minimum: 1000, maximum: MAX_FLOW_PERIOD_MS }), key: FlowKey },
  {
    $id: 'Throttle',
    additionalProperties: false,
    description: 'At most `limit` runs start per `periodMs` per key; the rest wait, in order (not dropped).',
  },
);
const Debounce = Type.Object(
  { periodMs: Type.Integer({ minimum: 100, maximum: MAX_FLOW_PERIOD_MS }), key: FlowKey },
  {
    $id: 'Debounce',
    additionalProperties: false,
    description:
      'A burst of runs per key becomes one run, with the last input, once `periodMs` passes without another.',
  },
);
const Priority = Type.Union(
  [
    ...PriorityNames.map((name) => Type.Literal(name)),
    Type.Integer({ minimum: -MAX_PRIORITY_SECONDS, maximum: MAX_PRIORITY_SECONDS }),
  ],
  {
    $id: 'Priority',
    description:
      'Among waiting runs, seconds of head start (`high` 60, `normal` 0, `low` -60): a run waiting longer than the ' +
      'difference goes first anyway, so none starves.',
  },
);
/** The flow-control fields of `triggerMetadata` (on every type; `debounce` not on endpoint triggers). */
export interface FlowControlMetadata {
  readonly concurrency?: Static<typeof Concurrency>;
  readonly throttle?: Static<typeof Throttle>;
  readonly debounce?: Static<typeof Debounce>;
  readonly priority?: Static<typeof Priority>;
}
const Path = Type.String({ pattern: TRIGGER_PATH_PATTERN, description: 'Starts with "/", at most 256 characters.' });
const Interval = (minimum: number) =>
  Type.Integer({ minimum, maximum: MAX_INTERVAL_SECONDS, description: 'Seconds between fires.' });

const params = Type.Optional(Params);
/** On every type. */
const retry = Type.Optional(Retry);
/** Flow control, on every type (`debounce` on every type but endpoint, whose caller waits for its own run). */
const flow = {
  concurrency: Type.Optional(Concurrency),
  throttle: Type.Optional(Throttle),
  priority: Type.Optional(Priority),
};
const debounce = Type.Optional(Debounce);
const strict = (id: string, description: string) => ({ $id: id, additionalProperties: false, description });

/**
 * The params of a trigger the gateway answers (webhook, endpoint): with `validateSignature`, a request must carry
 * the provider's signature made with `signingSecret` (sealed), or it is refused with 401 and nothing runs.
 */
const SignedParams = Type.Optional(
  Type.Object(
    {
      provider: Type.Optional(oneOf(WebhookProviders)),
      validateSignature: Type.Optional(Type.Boolean()),
      signingSecret: Type.Optional(Secret),
    },
    { additionalProperties: true, description: Params.description },
  ),
);

export const TriggerMetadataSchemas = {
  'on-demand': Type.Object(
    { params, inputSchema: Type.Optional(InputSchema), retry, ...flow, debounce },
    strict('OnDemandTriggerMetadata', 'Runs on `POST /function-triggers/{id}/execute`.'),
  ),
  'event-driven': Type.Object(
    {
      event: oneOf(RecordEventNames),
      recordSlug: Type.String({ pattern: RECORD_SLUG_PATTERN }),
      params,
      filter: Type.Optional(Filter),
      retry,
      ...flow,
      debounce,
    },
    strict('EventDrivenTriggerMetadata', 'Runs on each record event of `recordSlug` published to NATS.'),
  ),
  scheduled: Type.Object(
    {
      interval: Type.Optional(Interval(1)),
      cron: Type.Optional(Type.String({ description: '5 or 6 fields; `interval` or `cron`, not both.' })),
      timezone: Type.Optional(Type.String({ description: 'IANA time zone of `cron`, e.g. Europe/Berlin.' })),
      catchUp: Type.Optional(oneOf(CatchUpPolicies, 'Fires missed while the scheduler was down.')),
      overlap: Type.Optional(oneOf(OverlapPolicies, 'A fire while the previous run is still running.')),
      dstGap: Type.Optional(oneOf(DstGapPolicies, 'A cron fire in a skipped local hour.')),
      params,
      retry,
      ...flow,
      debounce,
    },
    strict('ScheduledTriggerMetadata', 'Runs every `interval` seconds or on `cron`.'),
  ),
  webhook: Type.Object(
    {
      path: Path,
      params: SignedParams,
      inputSchema: Type.Optional(InputSchema),
      filter: Type.Optional(Filter),
      retry,
      ...flow,
      debounce,
    },
    strict('WebhookTriggerMetadata', 'Runs on each request to the gateway at `/webhook{path}`.'),
  ),
  endpoint: Type.Object(
    {
      path: Path,
      method: Type.Optional(oneOf(EndpointMethods)),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: ENDPOINT_TIMEOUT_MS })),
      timeoutResponse: Type.Optional(oneOf(EndpointTimeoutResponses)),
      params: SignedParams,
      inputSchema: Type.Optional(InputSchema),
      retry,
      ...flow,
    },
    strict('EndpointTriggerMetadata', 'Answers requests to the gateway at `/endpoints{path}` with the run.'),
  ),
  polling: Type.Object(
    {
      url: Type.String({ format: 'uri', description: 'An http(s) URL, polled from the scheduler.' }),
      interval: Interval(MIN_POLLING_INTERVAL_SECONDS),
      itemsPath: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      idField: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      headers: Type.Optional(Type.Record(Type.String(), Secret)),
      params,
      retry,
      ...flow,
      debounce,
    },
    strict('PollingTriggerMetadata', 'Runs once per new item the polled API answers.'),
  ),
} as const satisfies Record<ExecutionType, TObject>;

export type TriggerMetadataOf<T extends ExecutionType> = Static<(typeof TriggerMetadataSchemas)[T]>;

/** The fields `triggerMetadata` may have for `type` (`retry` on every type). */
export const triggerMetadataFields = (type: ExecutionType): string[] =>
  Object.keys(TriggerMetadataSchemas[type].properties);

/**
 * `oneOf` the variants, one per execution type, told apart by `executionType` (each variant has an `$id`,
 * named in the mapping). TypeBox's unions are `anyOf`; this keeps its static type.
 */
export function discriminated<T extends TSchema>(variants: Readonly<Record<ExecutionType, T>>) {
  const mapping = Object.fromEntries(
    ExecutionTypes.map((type) => [type, `#/components/schemas/${String(variants[type].$id)}`]),
  );
  return Type.Unsafe<Static<T>>({
    oneOf: ExecutionTypes.map((type) => variants[type]),
    discriminator: { propertyName: 'executionType', mapping },
  });
}
