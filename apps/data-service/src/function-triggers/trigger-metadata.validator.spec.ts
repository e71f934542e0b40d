import { type ExecutionType, ExecutionTypes, SignalboxError, TriggerMetadataSchemas } from '@signalbox/contracts';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { SUPPORTED_EVENTS_MESSAGE, validateTriggerMetadata } from './trigger-metadata.validator';

const problem = (run: () => void): { message: string; paths: string[] } => {
  try {
    run();
  } catch (error) {
    if (!(error instanceof SignalboxError)) throw error;
    expect(error.code).toBe('VALIDATION_ERROR');
    return { message: error.message, paths: (error.details ?? []).map((d) => d.path.join('.')) };
  }
  throw new Error('expected a validation error');
};

describe('validateTriggerMetadata', () => {
  it('accepts an on-demand trigger with params and an input schema', () => {
    expect(() =>
      validateTriggerMetadata('on-demand', {
        params: { format: 'csv', apiKey: { value: 'k', encrypt: true } },
        inputSchema: { type: 'object', required: ['orderId'] },
      }),
    ).not.toThrow();
  });

  it('refuses fields that do not belong to the type, naming the allowed ones', () => {
    expect(problem(() => validateTriggerMetadata('on-demand', { interval: 60 })).message).toBe(
      'triggerMetadata.interval is not allowed for on-demand triggers (allowed: params, inputSchema)',
    );
  });

  it('refuses an invalid input schema', () => {
    expect(problem(() => validateTriggerMetadata('on-demand', { inputSchema: { type: 'nope' } })).message).toMatch(
      /^triggerMetadata.inputSchema is not a valid JSON Schema/,
    );
  });

  describe('event-driven', () => {
    it('accepts each of the eight events', () => {
      for (const event of ['record_created', 'record_deleted_failed', 'record_reverted']) {
        expect(() => validateTriggerMetadata('event-driven', { event, recordSlug: 'orders' })).not.toThrow();
      }
    });

    it("answers an unknown event with the seed's message", () => {
      expect(
        problem(() => validateTriggerMetadata('event-driven', { event: 'record_made', recordSlug: 'o' })).message,
      ).toBe(SUPPORTED_EVENTS_MESSAGE);
      expect(SUPPORTED_EVENTS_MESSAGE).toBe(
        'Supported events: record_created, record_updated, record_deleted, record_restored, record_reverted, record_create_failed, record_updated_failed, record_deleted_failed',
      );
    });

    it('requires event and recordSlug, and reports both', () => {
      expect(problem(() => validateTriggerMetadata('event-driven', {})).paths).toEqual([
        'triggerMetadata.event',
        'triggerMetadata.recordSlug',
      ]);
    });

    it('refuses a record slug that cannot be a NATS subject token', () => {
      expect(
        problem(() => validateTriggerMetadata('event-driven', { event: 'record_created', recordSlug: 'a.b' })).message,
      ).toMatch(/recordSlug must be/);
    });

    it('refuses filter operators that evaluate code', () => {
      const result = problem(() =>
        validateTriggerMetadata('event-driven', {
          event: 'record_created',
          recordSlug: 'orders',
          filter: { $or: [{ total: { $gt: 10 } }, { $where: 'this.total > 10' }] },
        }),
      );
      expect(result.message).toMatch(/uses \$where, which is not allowed/);
    });
  });

  describe('scheduled', () => {
    it('accepts an interval in whole seconds, up to a year', () => {
      expect(() => validateTriggerMetadata('scheduled', { interval: 86400 })).not.toThrow();
      expect(() => validateTriggerMetadata('scheduled', { interval: 31_536_000 })).not.toThrow();
    });

    it.each([0, -5, 1.5, '60'])("refuses interval %p with the contract's message", (interval) => {
      expect(problem(() => validateTriggerMetadata('scheduled', { interval })).message).toBe(
        'triggerMetadata.interval must be a positive integer (seconds)',
      );
    });

    it('refuses more than a year', () => {
      expect(problem(() => validateTriggerMetadata('scheduled', { interval: 31_536_001 })).message).toMatch(
        /at most 31536000/,
      );
    });

    it('needs interval or cron, not both and not neither', () => {
      expect(problem(() => validateTriggerMetadata('scheduled', {})).message).toMatch(
        /interval \(seconds\) or triggerMetadata.cron is required/,
      );
      expect(problem(() => validateTriggerMetadata('scheduled', { interval: 60, cron: '* * * * *' })).message).toMatch(
        /not both/,
      );
    });

    it('accepts 5- and 6-field cron with an IANA time zone', () => {
      expect(() =>
        validateTriggerMetadata('scheduled', { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }),
      ).not.toThrow();
      expect(() => validateTriggerMetadata('scheduled', { cron: '*/10 * * * * *' })).not.toThrow();
    });

    it('refuses a bad cron, a bad time zone and unknown policies', () => {
      expect(problem(() => validateTriggerMetadata('scheduled', { cron: '61 * * * *' })).message).toMatch(
        /not a valid cron expression/,
      );
      expect(problem(() => validateTriggerMetadata('scheduled', { cron: '* *' })).message).toMatch(/5 or 6 fields/);
      expect(
        problem(() => validateTriggerMetadata('scheduled', { cron: '0 * * * *', timezone: 'Mars/Base' })).message,
      ).toMatch(/IANA time zone/);
      expect(problem(() => validateTriggerMetadata('scheduled', { interval: 5, catchUp: 'some' })).message).toBe(
        'triggerMetadata.catchUp must be one of none, one, all',
      );
    });

    it('takes a DST gap policy for cron only', () => {
      expect(() =>
        validateTriggerMetadata('scheduled', { cron: '30 2 * * *', timezone: 'Europe/Berlin', dstGap: 'skip' }),
      ).not.toThrow();
      expect(problem(() => validateTriggerMetadata('scheduled', { cron: '0 * * * *', dstGap: 'later' })).message).toBe(
        'triggerMetadata.dstGap must be one of shift, skip',
      );
      expect(problem(() => validateTriggerMetadata('scheduled', { interval: 60, dstGap: 'skip' })).message).toBe(
        'triggerMetadata.dstGap applies to cron schedules only',
      );
    });
  });

  describe('webhook and endpoint', () => {
    it('requires a path that starts with /', () => {
      expect(problem(() => validateTriggerMetadata('webhook', {})).message).toBe(
        'triggerMetadata.path is required for webhook triggers',
      );
      expect(problem(() => validateTriggerMetadata('webhook', { path: 'stripe' })).message).toMatch(
        /must start with "\/"/,
      );
    });

    it.each(['webhook', 'endpoint'] as const)(
      'needs a provider and signing secret when signatures are validated (%s)',
      (type) => {
        const result = problem(() =>
          validateTriggerMetadata(type, { path: '/s', params: { validateSignature: true } }),
        );
        expect(result.paths).toEqual(['triggerMetadata.params.provider', 'triggerMetadata.params.signingSecret']);
        expect(
          problem(() => validateTriggerMetadata(type, { path: '/s', params: { provider: 'paypal' } })).message,
        ).toMatch(/provider must be one of stripe, github/);
      },
    );

    it('caps an endpoint timeout at 30 s and checks the method', () => {
      expect(() =>
        validateTriggerMetadata('endpoint', { path: '/quote', method: 'POST', timeoutMs: 30000 }),
      ).not.toThrow();
      expect(problem(() => validateTriggerMetadata('endpoint', { path: '/q', timeoutMs: 30001 })).message).toMatch(
        /at most 30000/,
      );
      expect(problem(() => validateTriggerMetadata('endpoint', { path: '/q', method: 'TRACE' })).message).toMatch(
        /method must be one of/,
      );
      expect(() =>
        validateTriggerMetadata('endpoint', { path: '/q', timeoutResponse: 'gateway-timeout' }),
      ).not.toThrow();
      expect(problem(() => validateTriggerMetadata('endpoint', { path: '/q', timeoutResponse: 504 })).message).toBe(
        'triggerMetadata.timeoutResponse must be one of accepted, gateway-timeout',
      );
    });
  });

  describe('polling', () => {
    it('accepts url, interval, item paths and secret headers', () => {
      expect(() =>
        validateTriggerMetadata('polling', {
          url: 'https://api.example.com/items',
          interval: 60,
          itemsPath: 'data.items',
          idField: 'id',
          headers: { Authorization: { value: 'Bearer x', encrypt: true }, Accept: 'application/json' },
        }),
      ).not.toThrow();
    });

    it('refuses a non-http url, a too short interval and a malformed header', () => {
      const result = problem(() =>
        validateTriggerMetadata('polling', { url: 'ftp://x', interval: 5, headers: { A: 1 } }),
      );
      expect(result.paths).toEqual(['triggerMetadata.url', 'triggerMetadata.interval', 'triggerMetadata.headers.A']);
    });
  });

  it('refuses a malformed secret wrapper', () => {
    expect(
      problem(() => validateTriggerMetadata('on-demand', { params: { k: { value: 'x', encrypt: 'yes' } } })).message,
    ).toBe('triggerMetadata.params.k must be {"value": ..., "encrypt": true} to be encrypted');
  });

  describe('retry', () => {
    it('accepts a retry policy on any type and names what is wrong with one', () => {
      expect(() =>
        validateTriggerMetadata('on-demand', { retry: { maxAttempts: 3, backoff: 'fixed', delayMs: 500 } }),
      ).not.toThrow();
      expect(() =>
        validateTriggerMetadata('event-driven', { event: 'record_created', recordSlug: 'o', retry: {} }),
      ).not.toThrow();
      expect(problem(() => validateTriggerMetadata('on-demand', { retry: { maxAttempts: 11 } })).message).toBe(
        'triggerMetadata.retry.maxAttempts must be an integer from 1 to 10',
      );
      expect(problem(() => validateTriggerMetadata('on-demand', { retry: { delayMs: 5 } })).message).toMatch(/delayMs/);
      expect(problem(() => validateTriggerMetadata('on-demand', { retry: { backoff: 'linear' } })).message).toMatch(
        /backoff must be one of exponential, fixed/,
      );
      expect(problem(() => validateTriggerMetadata('on-demand', { retry: { tries: 2 } })).message).toMatch(
        /not allowed/,
      );
    });
  });

  describe('flow control', () => {
    const onDemand = (metadata: Record<string, unknown>) => () => validateTriggerMetadata('on-demand', metadata);

    it('accepts concurrency, throttle, debounce and priority, with and without keys', () => {
      expect(
        onDemand({
          concurrency: { limit: 2, key: 'executionParams.data.customerId' },
          throttle: { limit: 10, periodMs: 60_000 },
          debounce: { periodMs: 500, key: 'executionParams.id' },
          priority: 'high',
        }),
      ).not.toThrow();
      expect(onDemand({ priority: -600 })).not.toThrow();
      expect(onDemand({ concurrency: { limit: 1 } })).not.toThrow();
    });

    it('names what is wrong, field by field', () => {
      expect(problem(onDemand({ concurrency: { limit: 0 } })).message).toBe(
        'triggerMetadata.concurrency.limit must be an integer from 1 to 1000',
      );
      expect(problem(onDemand({ concurrency: {} })).message).toBe('triggerMetadata.concurrency.limit is required');
      expect(problem(onDemand({ concurrency: 3 })).message).toBe('triggerMetadata.concurrency must be an object');
      expect(problem(onDemand({ throttle: { limit: 1, periodMs: 10 } })).paths).toEqual([
        'triggerMetadata.throttle.periodMs',
      ]);
      expect(problem(onDemand({ debounce: { periodMs: 1000, wait: 1 } })).message).toBe(
        'triggerMetadata.debounce.wait is not allowed (allowed: periodMs, key)',
      );
      expect(problem(onDemand({ priority: 'urgent' })).message).toMatch(/priority must be one of high, normal, low/);
      expect(problem(onDemand({ priority: 601 })).paths).toEqual(['triggerMetadata.priority']);
    });

    it('takes a key only as a plain path into the input (no code, no prototype walk beyond names)', () => {
      for (const key of ['data.customerId', 'executionParams.a[0]', 'executionParams.a.b()', 'executionParams.']) {
        expect(problem(onDemand({ concurrency: { limit: 1, key } })).paths).toEqual([
          'triggerMetadata.concurrency.key',
        ]);
      }
      const deep = `executionParams${'.a'.repeat(9)}`;
      expect(problem(onDemand({ concurrency: { limit: 1, key: deep } })).paths).toEqual([
        'triggerMetadata.concurrency.key',
      ]);
    });

    it('refuses debounce on an endpoint trigger, whose caller waits for its own run', () => {
      expect(
        problem(() => validateTriggerMetadata('endpoint', { path: '/q', debounce: { periodMs: 1000 } })).message,
      ).toMatch(/triggerMetadata.debounce is not allowed for endpoint triggers/);
    });
  });
});

/** The OpenAPI document shows `TriggerMetadataSchemas`: what the validator accepts, the schema must too. */
describe('the contract schema of each execution type', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const secret = { value: 's3cret', encrypt: true };
  const sealed = { value: 'aGVsbG8=', encrypted: true, keyVersion: 1 };
  const full: Record<ExecutionType, Record<string, unknown>> = {
    'on-demand': {
      params: { a: 1, key: secret },
      inputSchema: { type: 'object' },
      retry: { maxAttempts: 3 },
      concurrency: { limit: 2, key: 'executionParams.customer' },
      throttle: { limit: 5, periodMs: 1000 },
      debounce: { periodMs: 250 },
      priority: 30,
    },
    'event-driven': { event: 'record_updated', recordSlug: 'orders', params: {}, filter: { total: { $gt: 1 } } },
    scheduled: { cron: '0 9 * * 1', timezone: 'Europe/Berlin', catchUp: 'one', overlap: 'skip', dstGap: 'shift' },
    webhook: {
      path: '/stripe/events',
      params: { provider: 'stripe', validateSignature: true, signingSecret: sealed, other: 1 },
      inputSchema: { type: 'object' },
      filter: { 'body.type': 'invoice.paid' },
      retry: { backoff: 'fixed', delayMs: 1000 },
    },
    endpoint: { path: '/quote', method: 'POST', timeoutMs: 5000, timeoutResponse: 'accepted', params: {} },
    polling: {
      url: 'https://api.example.com/items',
      interval: 60,
      itemsPath: 'data',
      idField: 'id',
      headers: { a: 'b', c: secret },
    },
  };

  it.each(ExecutionTypes)('%s: accepts what the validator accepts, and no field of another type', (type) => {
    const schema = JSON.parse(JSON.stringify(TriggerMetadataSchemas[type])) as object;
    expect(() => validateTriggerMetadata(type, full[type])).not.toThrow();
    expect(ajv.validate(schema, full[type]) || ajv.errors).toBe(true);
    expect(ajv.validate(schema, { ...full[type], nope: 1 })).toBe(false);
    expect(() => validateTriggerMetadata(type, { ...full[type], nope: 1 })).toThrow(SignalboxError);
  });
});
