import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

import { SignalboxError } from './errors.js';
import { recordEventSchema } from './generated/record-event-schema.js';
import { randomId } from './web-crypto.js';

type Schema = typeof recordEventSchema;
export type RecordEventName = Schema['properties']['event']['anyOf'][number]['const'];

/** A record event as a service publishes it (docs/record-event.schema.json). */
export interface RecordEvent {
  /** Unique per event; set to a UUID when missing. Also the `Nats-Msg-Id`, so a repeat within the stream's duplicate window is dropped. */
  readonly eventId?: string;
  readonly event: RecordEventName;
  readonly workspaceSlug: string;
  readonly recordSlug: string;
  readonly recordId: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** When it happened (ISO 8601); now when missing. */
  readonly timestamp?: string;
  readonly [extra: string]: unknown;
}

export interface PublishedRecordEvent {
  readonly eventId: string;
  readonly subject: string;
  /** The stream sequence JetStream stored it at. */
  readonly seq: number;
  /** True when JetStream had it already (same eventId within its duplicate window): nothing new runs. */
  readonly duplicate: boolean;
}

/**
 * Publishes a record event to Signalbox over NATS JetStream, as a user's service does: checked against the
 * record-event schema (a `SignalboxError` 400 `VALIDATION_ERROR` with every problem, nothing sent), on
 * `records.<workspace>.<recordSlug>.<event>`, with `Nats-Msg-Id` set to its `eventId`; resolves once JetStream
 * has stored it (the publish ack). Publishing the same event again after a lost ack is safe.
 */
export async function publishRecordEvent(
  connection: NatsConnection | JetStreamClient,
  event: RecordEvent,
  options: { timeoutMs?: number } = {},
): Promise<PublishedRecordEvent> {
  const full = {
    ...event,
    eventId: event.eventId ?? (await randomId()),
    timestamp: event.timestamp ?? new Date().toISOString(),
  };
  const problems = checkRecordEvent(full);
  if (problems.length > 0) {
    throw new SignalboxError({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: problems[0].message,
      details: problems,
    });
  }
  const client = 'publish' in connection && 'consumers' in connection ? connection : jetstream(connection);
  // The public subject (docs/record-events.md): the SDK is published on its own, so it does not import it.
  const subject = `records.${full.workspaceSlug}.${full.recordSlug}.${full.event}`;
  const ack = await client.publish(subject, JSON.stringify(full), {
    msgID: full.eventId,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  return { eventId: full.eventId, subject, seq: ack.seq, duplicate: ack.duplicate };
}

/** The problems of `event` by the rules of the record-event schema (read from it, not restated). */
export function checkRecordEvent(event: Readonly<Record<string, unknown>>): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  const { properties, required } = recordEventSchema;
  for (const name of required) {
    if (event[name] === undefined) problems.push({ path: [name], message: `${name} is required` });
  }
  const events: readonly string[] = properties.event.anyOf.map((option) => option.const);
  if (event['event'] !== undefined && !events.includes(event['event'] as string)) {
    problems.push({ path: ['event'], message: `event must be one of ${events.join(', ')}` });
  }
  for (const name of ['eventId', 'workspaceSlug', 'recordSlug', 'recordId', 'timestamp'] as const) {
    const value = event[name];
    if (value === undefined) continue;
    const rule = properties[name] as { pattern?: string; minLength?: number; maxLength?: number };
    const ok =
      typeof value === 'string' &&
      (rule.pattern === undefined || new RegExp(rule.pattern).test(value)) &&
      value.length >= (rule.minLength ?? 0) &&
      value.length <= (rule.maxLength ?? Infinity) &&
      (name !== 'timestamp' || isDateTime(value));
    if (!ok) problems.push({ path: [name], message: `${name} does not match the record-event schema` });
  }
  const data = event['data'];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    problems.push({ path: ['data'], message: 'data must be an object' });
  } else if (data !== undefined && depthOf(data) > MAX_JSON_DEPTH) {
    problems.push({ path: ['data'], message: `data is nested deeper than ${MAX_JSON_DEPTH} levels` });
  }
  return problems;
}

/** The platform refuses JSON nested deeper than this wherever it enters (docs/security.md). */
export const MAX_JSON_DEPTH = 100;

/** JSON Schema's `date-time` (RFC 3339), as the event router checks it: a date, a time and an offset. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const isDateTime = (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));

function depthOf(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > MAX_JSON_DEPTH) return depth;
  let deepest = depth + 1;
  for (const inner of Object.values(value)) deepest = Math.max(deepest, depthOf(inner, depth + 1));
  return deepest;
}
