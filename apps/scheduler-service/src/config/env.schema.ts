import { DefaultPorts } from '@signalbox/contracts';
import { parseAllowedHosts } from '@signalbox/net-guard';
import {
  commonEnvProperties,
  databaseEnvProperties,
  loadEnvWithKeysOrExit,
  outboundHttpEnvProperties,
  type ResolvedKeys,
  secretKeysEnvProperties,
} from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

import type { PollingSettings } from '../polling/poller';
import type { SchedulerSettings } from '../schedules/scheduler.settings';

/** Every setting of scheduler-service. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...databaseEnvProperties(),
  ...commonEnvProperties(DefaultPorts['scheduler-service']),
  // Polling triggers' headers may be sealed secrets: the scheduler opens them, as the runtime does params.
  ...secretKeysEnvProperties(),
  ...outboundHttpEnvProperties(),
  POLL_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  POLL_MAX_RESPONSE_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 5 * 1024 * 1024 }),
  POLL_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  SCHEDULER_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 500,
    description: 'Due schedules one replica claims and fires in one transaction.',
  }),
  SCHEDULER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 32,
    default: 4,
    description: 'Claim-and-fire loops per replica (each holds one database connection while it fires a batch).',
  }),
  SCHEDULER_MAX_SLEEP_MS: Type.Integer({
    minimum: 10,
    maximum: 60_000,
    default: 1000,
    description: 'Longest wait between two looks at the schedule table (schedules changed by other replicas).',
  }),
  SCHEDULER_CLAIM_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 300_000,
    default: 15_000,
    description:
      'A replica that holds claimed schedules this long without finishing (hung, partitioned) loses them: ' +
      'Postgres ends its transaction and another replica fires them. A killed replica loses them at once.',
  }),
  SCHEDULER_MISFIRE_GRACE_MS: Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    default: 60_000,
    description:
      'A due time reached later than this was missed and the catch-up policy decides; within it, it runs late.',
  }),
  SCHEDULER_CATCH_UP_MAX: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 100,
    description: 'catchUp "all": the most missed due times of one trigger that run after downtime.',
  }),
});
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): { env: Env; keys: ResolvedKeys } => loadEnvWithKeysOrExit(EnvSchema, process.env);

export const pollingSettings = (env: Env): PollingSettings => ({
  fetch: {
    label: 'polling',
    allowPrivateNetworks: env.FETCH_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: parseAllowedHosts(env.FETCH_ALLOWED_HOSTS),
    timeoutMs: env.POLL_TIMEOUT_MS,
    maxResponseBytes: env.POLL_MAX_RESPONSE_BYTES,
    maxRedirects: 3,
  },
  concurrency: env.POLL_CONCURRENCY,
});

export const schedulerSettings = (env: Env): SchedulerSettings => ({
  batchSize: env.SCHEDULER_BATCH_SIZE,
  concurrency: env.SCHEDULER_CONCURRENCY,
  maxSleepMs: env.SCHEDULER_MAX_SLEEP_MS,
  claimTimeoutMs: env.SCHEDULER_CLAIM_TIMEOUT_MS,
  plan: {
    graceMs: env.SCHEDULER_MISFIRE_GRACE_MS,
    catchUpMax: env.SCHEDULER_CATCH_UP_MAX,
    scanMax: Math.max(1000, env.SCHEDULER_CATCH_UP_MAX * 2),
  },
});
