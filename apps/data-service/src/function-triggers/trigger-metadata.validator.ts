import {
  CatchUpPolicies,
  DstGapPolicies,
  ENDPOINT_TIMEOUT_MS,
  EndpointMethods,
  EndpointTimeoutResponses,
  type ErrorDetail,
  type ExecutionType,
  FLOW_KEY_PATTERN,
  MAX_FLOW_LIMIT,
  MAX_FLOW_PERIOD_MS,
  MAX_INTERVAL_SECONDS,
  MAX_PRIORITY_SECONDS,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_DELAY_MS,
  MIN_POLLING_INTERVAL_SECONDS,
  OverlapPolicies,
  PriorityNames,
  RECORD_SLUG_PATTERN,
  RecordEventNames,
  RetryBackoffs,
  SignalboxError,
  TRIGGER_PATH_PATTERN,
  triggerMetadataFields,
  WebhookProviders,
} from '@signalbox/contracts';
import { isSealedSecret } from '@signalbox/crypto';
import { checkRecordFilter, compileUserSchema } from '@signalbox/filters';
import { Cron } from 'croner';

/**
 * The rules for `triggerMetadata` per execution type (api-contract.md "Execution types"), with the
 * seed's messages where it has them. The fields of each type are the contract's (`TriggerMetadataSchemas`,
 * which the OpenAPI document shows). Pure: no I/O, so every rule has a small test.
 */

export const MAX_ENDPOINT_TIMEOUT_MS = ENDPOINT_TIMEOUT_MS;
export const SUPPORTED_EVENTS_MESSAGE = `Supported events: ${RecordEventNames.join(', ')}`;

const PATH = new RegExp(TRIGGER_PATH_PATTERN);
const FLOW_KEY = new RegExp(FLOW_KEY_PATTERN);
const RECORD_SLUG = new RegExp(RECORD_SLUG_PATTERN);

type Metadata = Record<string, unknown>;

const COMMON_FIELDS = ['retry', 'concurrency', 'throttle', 'priority', 'debounce'];

class Problems {
  readonly list: ErrorDetail[] = [];
  add(path: ReadonlyArray<string | number>, message: string): void {
    this.list.push({ path, message });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

/** Throws VALIDATION_ERROR with every problem in `details` (the first one is the message). */
export function validateTriggerMetadata(executionType: ExecutionType, metadata: Metadata): void {
  const problems = new Problems();
  // The message names the type's own fields; those nearly every type has (retry, flow control) go unsaid.
  const fields = triggerMetadataFields(executionType);
  const allowed = fields.filter((key) => !COMMON_FIELDS.includes(key));
  for (const key of Object.keys(metadata)) {
    if (!fields.includes(key)) {
      problems.add(
        ['triggerMetadata', key],
        `triggerMetadata.${key} is not allowed for ${executionType} triggers (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  checkParams(metadata['params'], problems);
  if ('inputSchema' in metadata) checkInputSchema(metadata['inputSchema'], problems);
  if ('retry' in metadata) checkRetry(metadata['retry'], problems);
  checkFlowControl(metadata, problems);

  switch (executionType) {
    case 'on-demand':
      break;
    case 'event-driven':
      checkEventDriven(metadata, problems);
      break;
    case 'scheduled':
      checkScheduled(metadata, problems);
      break;
    case 'webhook':
      checkPath(metadata['path'], executionType, problems);
      checkSignatureParams(metadata['params'], problems);
      // A condition over the request, `{ headers, body }` (provider templates filter on the event type).
      if ('filter' in metadata) {
        for (const problem of checkRecordFilter(metadata['filter'], ['triggerMetadata', 'filter'])) {
          problems.add(problem.path, problem.message);
        }
      }
      break;
    case 'endpoint':
      checkPath(metadata['path'], executionType, problems);
      checkEndpoint(metadata, problems);
      break;
    case 'polling':
      checkPolling(metadata, problems);
      break;
    default:
      return assertNever(executionType);
  }
  if (problems.list.length > 0) {
    throw new SignalboxError('VALIDATION_ERROR', problems.list[0].message, problems.list);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected execution type ${String(value)}`);
}

function checkParams(params: unknown, problems: Problems): void {
  if (params === undefined) return;
  if (!isObject(params)) {
    problems.add(['triggerMetadata', 'params'], 'triggerMetadata.params must be an object');
    return;
  }
  for (const [name, value] of Object.entries(params))
    checkSecretShape(value, ['triggerMetadata', 'params', name], problems);
}

/**
 * A param with an `encrypt` key must be exactly `{value, encrypt}`; a sealed value is passed through as stored.
 * Deeper down, exactly `{value, encrypt: true | false}` is a secret request (sealed where it stands) and any
 * other object, `encrypt` key or not, is the user's own data.
 */
function checkSecretShape(value: unknown, path: string[], problems: Problems): void {
  if (!isObject(value) || !('encrypt' in value)) return;
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'encrypt,value' || typeof value['encrypt'] !== 'boolean') {
    problems.add(path, `${path.join('.')} must be {"value": ..., "encrypt": true} to be encrypted`);
  }
}

/** `retry: { maxAttempts (1-10), backoff ('exponential' | 'fixed'), delayMs (100 ms to 1 h) }`, on any type. */
function checkRetry(retry: unknown, problems: Problems): void {
  if (!isObject(retry)) {
    problems.add(['triggerMetadata', 'retry'], 'triggerMetadata.retry must be an object');
    return;
  }
  for (const key of Object.keys(retry)) {
    if (!['maxAttempts', 'backoff', 'delayMs'].includes(key)) {
      problems.add(
        ['triggerMetadata', 'retry', key],
        `triggerMetadata.retry.${key} is not allowed (allowed: maxAttempts, backoff, delayMs)`,
      );
    }
  }
  const { maxAttempts, delayMs, backoff } = retry;
  if (maxAttempts !== undefined && (!isPositiveInteger(maxAttempts) || maxAttempts > MAX_RETRY_ATTEMPTS)) {
    problems.add(
      ['triggerMetadata', 'retry', 'maxAttempts'],
      `triggerMetadata.retry.maxAttempts must be an integer from 1 to ${MAX_RETRY_ATTEMPTS}`,
    );
  }
  if (
    delayMs !== undefined &&
    (!Number.isInteger(delayMs) || (delayMs as number) < 100 || (delayMs as number) > MAX_RETRY_DELAY_MS)
  ) {
    problems.add(
      ['triggerMetadata', 'retry', 'delayMs'],
      `triggerMetadata.retry.delayMs must be an integer from 100 to ${MAX_RETRY_DELAY_MS}`,
    );
  }
  if (backoff !== undefined && !RetryBackoffs.includes(backoff as never)) {
    problems.add(
      ['triggerMetadata', 'retry', 'backoff'],
      `triggerMetadata.retry.backoff must be one of ${RetryBackoffs.join(', ')}`,
    );
  }
}

/** An integer from `min` to `max`, or the message saying so. */
const integerFrom =
  (min: number, max: number) =>
  (value: unknown): string | null =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max
      ? null
      : `must be an integer from ${min} to ${max}`;

const flowKey = (value: unknown): string | null =>
  typeof value === 'string' && FLOW_KEY.test(value)
    ? null
    : 'must be a path into the input such as "executionParams.data.customerId" (at most 8 names of letters, digits, _ and -)';

/** The fields of one flow-control object: each field's check, and which are required. */
const FLOW_FIELDS: Record<string, { fields: Record<string, (value: unknown) => string | null>; required: string[] }> = {
  concurrency: { fields: { limit: integerFrom(1, MAX_FLOW_LIMIT), key: flowKey }, required: ['limit'] },
  throttle: {
    fields: {
      limit: integerFrom(1, MAX_FLOW_LIMIT),
      periodMs: integerFrom(1000, MAX_FLOW_PERIOD_MS),
      key: flowKey,
    },
    required: ['limit', 'periodMs'],
  },
  debounce: { fields: { periodMs: integerFrom(100, MAX_FLOW_PERIOD_MS), key: flowKey }, required: ['periodMs'] },
};

/** `concurrency`, `throttle`, `debounce` and `priority` (docs/run-control.md), where the type allows them. */
function checkFlowControl(metadata: Metadata, problems: Problems): void {
  for (const [name, { fields, required }] of Object.entries(FLOW_FIELDS)) {
    if (!(name in metadata)) continue;
    const value = metadata[name];
    if (!isObject(value)) {
      problems.add(['triggerMetadata', name], `triggerMetadata.${name} must be an object`);
      continue;
    }
    for (const field of required) {
      if (!(field in value)) {
        problems.add(['triggerMetadata', name, field], `triggerMetadata.${name}.${field} is required`);
      }
    }
    for (const [field, given] of Object.entries(value)) {
      const check = fields[field];
      const problem = check ? check(given) : `is not allowed (allowed: ${Object.keys(fields).join(', ')})`;
      if (problem) problems.add(['triggerMetadata', name, field], `triggerMetadata.${name}.${field} ${problem}`);
    }
  }
  if ('priority' in metadata) {
    const priority = metadata['priority'];
    const valid =
      PriorityNames.includes(priority as never) ||
      (Number.isInteger(priority) && Math.abs(priority as number) <= MAX_PRIORITY_SECONDS);
    if (!valid) {
      problems.add(
        ['triggerMetadata', 'priority'],
        `triggerMetadata.priority must be one of ${PriorityNames.join(', ')}, or an integer from -${MAX_PRIORITY_SECONDS} to ${MAX_PRIORITY_SECONDS} (seconds of head start)`,
      );
    }
  }
}

function checkInputSchema(schema: unknown, problems: Problems): void {
  if (!isObject(schema)) {
    problems.add(['triggerMetadata', 'inputSchema'], 'triggerMetadata.inputSchema must be a JSON Schema object');
    return;
  }
  try {
    compileUserSchema(schema); // the compiler the checks use, thrown away: nothing is kept per save
  } catch (error) {
    problems.add(
      ['triggerMetadata', 'inputSchema'],
      `triggerMetadata.inputSchema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function checkEventDriven(metadata: Metadata, problems: Problems): void {
  const event = metadata['event'];
  if (event === undefined)
    problems.add(['triggerMetadata', 'event'], 'triggerMetadata.event is required for event-driven triggers');
  else if (!RecordEventNames.includes(event as never))
    problems.add(['triggerMetadata', 'event'], SUPPORTED_EVENTS_MESSAGE);
  const slug = metadata['recordSlug'];
  if (slug === undefined) {
    problems.add(['triggerMetadata', 'recordSlug'], 'triggerMetadata.recordSlug is required for event-driven triggers');
  } else if (typeof slug !== 'string' || !RECORD_SLUG.test(slug)) {
    problems.add(
      ['triggerMetadata', 'recordSlug'],
      'triggerMetadata.recordSlug must be 1-128 letters, digits, "-" or "_"',
    );
  }
  if ('filter' in metadata) {
    for (const problem of checkRecordFilter(metadata['filter'], ['triggerMetadata', 'filter'])) {
      problems.add(problem.path, problem.message);
    }
  }
}

function checkInterval(value: unknown, field: string, minimum: number, problems: Problems): void {
  if (!isPositiveInteger(value)) {
    problems.add(['triggerMetadata', field], `triggerMetadata.${field} must be a positive integer (seconds)`);
  } else if (value < minimum) {
    problems.add(['triggerMetadata', field], `triggerMetadata.${field} must be at least ${minimum} seconds`);
  } else if (value > MAX_INTERVAL_SECONDS) {
    problems.add(
      ['triggerMetadata', field],
      `triggerMetadata.${field} must be at most ${MAX_INTERVAL_SECONDS} seconds (one year)`,
    );
  }
}

function checkScheduled(metadata: Metadata, problems: Problems): void {
  const hasInterval = metadata['interval'] !== undefined;
  const hasCron = metadata['cron'] !== undefined;
  if (!hasInterval && !hasCron) {
    problems.add(
      ['triggerMetadata', 'interval'],
      'triggerMetadata.interval (seconds) or triggerMetadata.cron is required for scheduled triggers',
    );
  }
  if (hasInterval && hasCron) {
    problems.add(['triggerMetadata', 'cron'], 'set either triggerMetadata.interval or triggerMetadata.cron, not both');
  }
  if (hasInterval) checkInterval(metadata['interval'], 'interval', 1, problems);
  const timezone = metadata['timezone'];
  if (timezone !== undefined && !isTimeZone(timezone)) {
    problems.add(
      ['triggerMetadata', 'timezone'],
      'triggerMetadata.timezone must be an IANA time zone such as Europe/Berlin',
    );
  }
  if (hasCron) checkCron(metadata['cron'], isTimeZone(timezone) ? timezone : undefined, problems);
  if (hasInterval && timezone !== undefined) {
    problems.add(['triggerMetadata', 'timezone'], 'triggerMetadata.timezone applies to cron schedules only');
  }
  checkOneOf(metadata, 'catchUp', CatchUpPolicies, problems);
  checkOneOf(metadata, 'overlap', OverlapPolicies, problems);
  checkOneOf(metadata, 'dstGap', DstGapPolicies, problems);
  if (hasInterval && metadata['dstGap'] !== undefined) {
    problems.add(['triggerMetadata', 'dstGap'], 'triggerMetadata.dstGap applies to cron schedules only');
  }
}

function checkCron(cron: unknown, timezone: string | undefined, problems: Problems): void {
  const fields = typeof cron === 'string' ? cron.trim().split(/\s+/).length : 0;
  if (typeof cron !== 'string' || (fields !== 5 && fields !== 6)) {
    problems.add(['triggerMetadata', 'cron'], 'triggerMetadata.cron must be a cron expression with 5 or 6 fields');
    return;
  }
  try {
    const job = new Cron(cron, { paused: true, ...(timezone ? { timezone } : {}) });
    if (!job.nextRun()) problems.add(['triggerMetadata', 'cron'], 'triggerMetadata.cron never fires');
    job.stop();
  } catch (error) {
    problems.add(
      ['triggerMetadata', 'cron'],
      `triggerMetadata.cron is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function checkOneOf(metadata: Metadata, field: string, values: readonly string[], problems: Problems): void {
  const value = metadata[field];
  if (value !== undefined && !values.includes(value as string)) {
    problems.add(['triggerMetadata', field], `triggerMetadata.${field} must be one of ${values.join(', ')}`);
  }
}

function checkPath(path: unknown, type: ExecutionType, problems: Problems): void {
  if (path === undefined) {
    problems.add(['triggerMetadata', 'path'], `triggerMetadata.path is required for ${type} triggers`);
  } else if (typeof path !== 'string' || !PATH.test(path)) {
    problems.add(
      ['triggerMetadata', 'path'],
      'triggerMetadata.path must start with "/" and contain only letters, digits and - . _ ~ / (at most 256 characters)',
    );
  }
}

/** The signature params of webhook and endpoint triggers: both enforce them at the gateway. */
function checkSignatureParams(params: unknown, problems: Problems): void {
  if (!isObject(params)) return;
  const provider = params['provider'];
  if (provider !== undefined && !WebhookProviders.includes(provider as never)) {
    problems.add(
      ['triggerMetadata', 'params', 'provider'],
      `triggerMetadata.params.provider must be one of ${WebhookProviders.join(', ')}`,
    );
  }
  const validate = params['validateSignature'];
  if (validate !== undefined && typeof validate !== 'boolean') {
    problems.add(
      ['triggerMetadata', 'params', 'validateSignature'],
      'triggerMetadata.params.validateSignature must be a boolean',
    );
  }
  if (validate === true) {
    if (provider === undefined) {
      problems.add(
        ['triggerMetadata', 'params', 'provider'],
        'triggerMetadata.params.provider is required when validateSignature is true',
      );
    }
    if (params['signingSecret'] === undefined) {
      problems.add(
        ['triggerMetadata', 'params', 'signingSecret'],
        'triggerMetadata.params.signingSecret is required when validateSignature is true',
      );
    }
  }
}

function checkEndpoint(metadata: Metadata, problems: Problems): void {
  checkSignatureParams(metadata['params'], problems);
  checkOneOf(metadata, 'method', EndpointMethods, problems);
  checkOneOf(metadata, 'timeoutResponse', EndpointTimeoutResponses, problems);
  const timeoutMs = metadata['timeoutMs'];
  if (timeoutMs !== undefined && (!isPositiveInteger(timeoutMs) || timeoutMs > MAX_ENDPOINT_TIMEOUT_MS)) {
    problems.add(
      ['triggerMetadata', 'timeoutMs'],
      `triggerMetadata.timeoutMs must be a positive integer of at most ${MAX_ENDPOINT_TIMEOUT_MS}`,
    );
  }
}

function checkPolling(metadata: Metadata, problems: Problems): void {
  const url = metadata['url'];
  if (url === undefined) {
    problems.add(['triggerMetadata', 'url'], 'triggerMetadata.url is required for polling triggers');
  } else if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) {
    problems.add(['triggerMetadata', 'url'], 'triggerMetadata.url must be an http(s) URL');
  }
  if (metadata['interval'] === undefined) {
    problems.add(['triggerMetadata', 'interval'], 'triggerMetadata.interval is required for polling triggers');
  } else {
    checkInterval(metadata['interval'], 'interval', MIN_POLLING_INTERVAL_SECONDS, problems);
  }
  for (const field of ['itemsPath', 'idField']) {
    const value = metadata[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 256)) {
      problems.add(['triggerMetadata', field], `triggerMetadata.${field} must be a non-empty string`);
    }
  }
  const headers = metadata['headers'];
  if (headers !== undefined) {
    if (!isObject(headers)) {
      problems.add(
        ['triggerMetadata', 'headers'],
        'triggerMetadata.headers must be an object of header names to values',
      );
    } else {
      for (const [name, value] of Object.entries(headers)) {
        const path = ['triggerMetadata', 'headers', name];
        if (typeof value === 'string' || isSealedSecret(value)) continue;
        if (isObject(value) && 'encrypt' in value) checkSecretShape(value, path, problems);
        else
          problems.add(path, `triggerMetadata.headers.${name} must be a string or {"value": "...", "encrypt": true}`);
      }
    }
  }
}
