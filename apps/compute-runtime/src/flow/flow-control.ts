import { createHash } from 'node:crypto';

import type { FlowControlMetadata, TriggerConfig } from '@signalbox/contracts';

/** A gate's settings with its key's value for one run: the state it keeps is per (workspace, trigger, key). */
export interface Keyed {
  readonly workspace: string;
  readonly triggerId: string;
  readonly key: string;
}

/** A trigger's flow control, as the gates read it (`triggerMetadata.concurrency`, `.throttle`, `.debounce`, `.priority`). */
export interface FlowControl {
  readonly concurrency: { readonly limit: number; readonly key: string | null } | null;
  readonly throttle: { readonly limit: number; readonly periodMs: number; readonly key: string | null } | null;
  readonly debounce: { readonly periodMs: number; readonly key: string | null } | null;
  /** Head start among waiting runs, in milliseconds (`priority` in seconds; `high` 60, `low` -60). */
  readonly priorityMs: number;
}

const PRIORITY_SECONDS = { high: 60, normal: 0, low: -60 } as const;

/** A key value longer than this is kept as its SHA-256 (a hostile 1 MB customer id stays 71 characters). */
const MAX_KEY_CHARS = 128;

/** The trigger's flow control, or null when it has none (the run path then does nothing more). */
export function flowControlOf(trigger: TriggerConfig | null): FlowControl | null {
  if (!trigger) return null;
  const metadata: FlowControlMetadata = trigger.triggerMetadata;
  const { concurrency, throttle, debounce, priority } = metadata;
  if (!concurrency && !throttle && !debounce && priority === undefined) return null;
  return {
    concurrency: concurrency ? { limit: concurrency.limit, key: concurrency.key ?? null } : null,
    throttle: throttle ? { limit: throttle.limit, periodMs: throttle.periodMs, key: throttle.key ?? null } : null,
    debounce: debounce ? { periodMs: debounce.periodMs, key: debounce.key ?? null } : null,
    priorityMs: priorityMsOf(priority),
  };
}

export function priorityMsOf(priority: unknown): number {
  if (typeof priority === 'number') return priority * 1000;
  if (typeof priority === 'string' && priority in PRIORITY_SECONDS) {
    return PRIORITY_SECONDS[priority as keyof typeof PRIORITY_SECONDS] * 1000;
  }
  return 0;
}

/**
 * The value of a key expression (`executionParams.a.b`, checked by the trigger's schema) over a run's input: a
 * string as it is, a number or boolean as its text, an object or array as its JSON, and "" when the path is
 * missing (those runs share one key). Only the input's own properties are read (`__proto__` reads nothing).
 */
export function flowKeyOf(expression: string | null, executionParams: unknown): string {
  if (expression === null) return '';
  let value: unknown = executionParams;
  for (const segment of expression.split('.').slice(1)) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return '';
    value = (value as Record<string, unknown>)[segment];
  }
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : value === null || value === undefined
          ? ''
          : JSON.stringify(value);
  return text.length <= MAX_KEY_CHARS ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
