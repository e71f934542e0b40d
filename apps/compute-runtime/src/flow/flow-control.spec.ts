import type { TriggerConfig } from '@signalbox/contracts';

import { flowControlOf, flowKeyOf } from './flow-control';
import { nextThrottledStart, queuedAfter } from './flow-gate.service';

describe('flowKeyOf', () => {
  const input = { data: { customerId: 'c-1', n: 7, flag: true, nested: { a: 1 }, none: null } };

  it('reads a path into the input: text as it is, numbers and booleans as their text, objects as JSON', () => {
    expect(flowKeyOf('executionParams.data.customerId', input)).toBe('c-1');
    expect(flowKeyOf('executionParams.data.n', input)).toBe('7');
    expect(flowKeyOf('executionParams.data.flag', input)).toBe('true');
    expect(flowKeyOf('executionParams.data.nested', input)).toBe('{"a":1}');
    expect(flowKeyOf(null, input)).toBe('');
  });

  it('answers "" for a missing path, and never reads inherited properties', () => {
    expect(flowKeyOf('executionParams.data.missing', input)).toBe('');
    expect(flowKeyOf('executionParams.data.none', input)).toBe('');
    expect(flowKeyOf('executionParams.data.customerId.length', input)).toBe('');
    expect(flowKeyOf('executionParams.constructor', input)).toBe('');
    expect(flowKeyOf('executionParams.__proto__', JSON.parse('{"__proto__": "x"}'))).toBe('x');
  });

  it('keeps a long value as its hash, so a hostile input cannot make a huge key', () => {
    const key = flowKeyOf('executionParams.id', { id: 'x'.repeat(1_000_000) });
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(flowKeyOf('executionParams.id', { id: 'y'.repeat(1_000_000) })).not.toBe(key);
  });
});

describe('nextThrottledStart', () => {
  const at = (ms: number) => new Date(ms);

  it('lets a run start now while the last `limit` starts leave room in the period', () => {
    expect(nextThrottledStart([], 2, 1000, at(5000))).toEqual(at(5000));
    expect(nextThrottledStart([at(4900)], 2, 1000, at(5000))).toEqual(at(5000));
  });

  it('gives the next run the start one period after the earliest of the last `limit`', () => {
    expect(nextThrottledStart([at(4900), at(4950)], 2, 1000, at(5000))).toEqual(at(5900));
    expect(nextThrottledStart([at(1000), at(5900), at(5950)], 2, 1000, at(5000))).toEqual(at(6900));
    expect(nextThrottledStart([at(1000), at(2000)], 2, 1000, at(5000))).toEqual(at(5000));
  });

  it('never puts more than `limit` starts in any window of the period', () => {
    const starts: Date[] = [];
    for (let i = 0; i < 50; i++) {
      const start = nextThrottledStart(starts.slice(-3), 3, 1000, at(10_000 + i * 7));
      starts.push(start);
    }
    for (const start of starts) {
      const inWindow = starts.filter((s) => s >= start && s.getTime() < start.getTime() + 1000);
      expect(inWindow.length).toBeLessThanOrEqual(3);
    }
    expect(starts.map((s) => s.getTime())).toEqual([...starts.map((s) => s.getTime())].sort((a, b) => a - b));
  });
});

describe('flowControlOf', () => {
  const trigger = (triggerMetadata: Record<string, unknown>, executionType = 'on-demand') =>
    ({ executionType, triggerMetadata }) as unknown as TriggerConfig;

  it('answers null for a trigger without flow control (the run path does nothing more)', () => {
    expect(flowControlOf(trigger({ params: {} }))).toBeNull();
    expect(flowControlOf(null)).toBeNull();
  });

  it('reads each setting, and the priority as a head start in milliseconds', () => {
    expect(
      flowControlOf(trigger({ concurrency: { limit: 2, key: 'executionParams.c' }, priority: 'low' }, 'endpoint')),
    ).toEqual({
      concurrency: { limit: 2, key: 'executionParams.c' },
      throttle: null,
      debounce: null,
      priorityMs: -60_000,
    });
    expect(flowControlOf(trigger({ priority: 15 }))?.priorityMs).toBe(15_000);
  });
});

describe('queuedAfter', () => {
  it('orders by when runs were queued, then by job id when they share the millisecond', () => {
    const run = (jobId: string, queuedAt: string) => ({ jobId, queuedAt });
    expect(queuedAfter(run('a', '2026-01-01T00:00:00.002Z'), run('b', '2026-01-01T00:00:00.001Z'))).toBe(true);
    expect(queuedAfter(run('b', '2026-01-01T00:00:00.001Z'), run('a', '2026-01-01T00:00:00.002Z'))).toBe(false);
    expect(queuedAfter(run('b', '2026-01-01T00:00:00.001Z'), run('a', '2026-01-01T00:00:00.001Z'))).toBe(true);
    expect(queuedAfter(run('a', '2026-01-01T00:00:00.001Z'), run('b', '2026-01-01T00:00:00.001Z'))).toBe(false);
  });
});
