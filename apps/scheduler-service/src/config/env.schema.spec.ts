import { parseEnv } from '@signalbox/service-kit';

import { EnvSchema, schedulerSettings } from './env.schema';

describe('scheduler-service configuration', () => {
  it('listens on its default port 3002 with local Postgres and NATS defaults', () => {
    const sut = parseEnv(EnvSchema, {});
    expect(sut.PORT).toBe(3002);
    expect(sut.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(sut.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/signalbox');
  });

  it('names an invalid setting', () => {
    expect(() => parseEnv(EnvSchema, { NATS_URL: 'http://wrong' })).toThrow(
      /^Invalid configuration: NATS_URL must match pattern/,
    );
  });

  it('turns the scheduler settings into the loop and planner settings, with documented defaults', () => {
    expect(schedulerSettings(parseEnv(EnvSchema, {}))).toEqual({
      batchSize: 500,
      concurrency: 4,
      maxSleepMs: 1000,
      claimTimeoutMs: 15_000,
      plan: { graceMs: 60_000, catchUpMax: 100, scanMax: 1000 },
    });
    expect(schedulerSettings(parseEnv(EnvSchema, { SCHEDULER_CATCH_UP_MAX: '5000' })).plan.scanMax).toBe(10_000);
    expect(() => parseEnv(EnvSchema, { SCHEDULER_CLAIM_TIMEOUT_MS: '10' })).toThrow(/SCHEDULER_CLAIM_TIMEOUT_MS/);
  });
});
