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

import type { ExecutionSettings } from '../execution/execution.constants';

/** Every setting of compute-runtime. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...databaseEnvProperties(),
  ...commonEnvProperties(DefaultPorts['compute-runtime']),
  ...secretKeysEnvProperties(),
  SANDBOX_WORKERS: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
  /** Queued runs one replica takes at once (claimed, waiting for a worker, or running): above SANDBOX_WORKERS so that database and NATS round trips overlap sandbox time. */
  RUN_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  SANDBOX_MAX_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 900_000, default: 300_000 }),
  /** Resident memory one sandbox worker process may hold, whatever allocated it; over it the worker is killed and its run fails. At least a 1024 MB function plus room for the worker itself. */
  SANDBOX_WORKER_MAX_RSS_MB: Type.Integer({ minimum: 1536, maximum: 65_536, default: 2048 }),
  SANDBOX_GRACE_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000 }),
  RUN_LEASE_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
  RUN_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  /** Days a run's record is kept (its day's partition of runtime.runs is dropped once wholly older). */
  RUN_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  SANDBOX_MAX_RESULT_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1_048_576 }),
  SANDBOX_MAX_LOG_LINES: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  SANDBOX_MAX_LOG_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 262_144 }),
  SANDBOX_MAX_FETCHES: Type.Integer({ minimum: 0, maximum: 10_000, default: 50 }),
  ...outboundHttpEnvProperties(),
  FETCH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  FETCH_MAX_RESPONSE_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 5 * 1024 * 1024 }),
});
export type Env = Static<typeof EnvSchema>;

export type { ResolvedKeys };

export function executionSettings(env: Env): ExecutionSettings {
  return {
    workers: env.SANDBOX_WORKERS,
    concurrency: Math.max(env.RUN_CONCURRENCY, env.SANDBOX_WORKERS),
    maxTimeoutMs: env.SANDBOX_MAX_TIMEOUT_MS,
    graceMs: env.SANDBOX_GRACE_MS,
    maxWorkerRssMb: env.SANDBOX_WORKER_MAX_RSS_MB,
    leaseMs: env.RUN_LEASE_MS,
    maxAttempts: env.RUN_MAX_ATTEMPTS,
    limits: {
      maxResultBytes: env.SANDBOX_MAX_RESULT_BYTES,
      maxLogLines: env.SANDBOX_MAX_LOG_LINES,
      maxLogBytes: env.SANDBOX_MAX_LOG_BYTES,
      maxFetches: env.SANDBOX_MAX_FETCHES,
    },
    fetch: {
      allowPrivateNetworks: env.FETCH_ALLOW_PRIVATE_NETWORKS,
      allowedHosts: parseAllowedHosts(env.FETCH_ALLOWED_HOSTS),
      timeoutMs: env.FETCH_TIMEOUT_MS,
      maxResponseBytes: env.FETCH_MAX_RESPONSE_BYTES,
      maxRedirects: 5,
    },
  };
}

export const loadEnv = (): { env: Env; keys: ResolvedKeys } => loadEnvWithKeysOrExit(EnvSchema, process.env);
