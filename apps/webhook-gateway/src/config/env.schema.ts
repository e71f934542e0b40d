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

import type { InboundHttpSettings } from '../inbound/inbound.routes';
import type { OutboundSettings } from '../outbound/outbound.settings';

/** Every setting of webhook-gateway. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...databaseEnvProperties(),
  ...commonEnvProperties(DefaultPorts['webhook-gateway']),
  // Inbound signing secrets are sealed; the gateway opens them, so it holds the private keys as the runtime does.
  ...secretKeysEnvProperties(),
  WEBHOOK_BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 64 * 1024 * 1024,
    default: 1_048_576,
    description: 'Largest inbound webhook body; larger answers 413.',
  }),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 6000,
    description: 'Requests per minute to one webhook or endpoint trigger, per replica; above it 429 with Retry-After.',
  }),
  ...outboundHttpEnvProperties(),
  WEBHOOK_DELIVERY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 30_000 }),
  WEBHOOK_RESPONSE_BODY_MAX_BYTES: Type.Integer({ minimum: 0, maximum: 1_048_576, default: 4096 }),
  WEBHOOK_DELIVERY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 4096, default: 256 }),
  WEBHOOK_ENDPOINT_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  WEBHOOK_FANOUT_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 32 }),
  WEBHOOK_DISABLE_AFTER_MS: Type.Integer({ minimum: 1000, default: 5 * 24 * 3600 * 1000 }),
  /** Runs one workspace may have waiting, retrying or running at once; beyond it webhooks and endpoints answer 429. */
  RUNS_IN_FLIGHT_PER_WORKSPACE: Type.Integer({ minimum: 1, default: 50_000 }),
  WEBHOOK_MAX_REPLAY: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
  /** Days a delivery and its attempts are kept (their day's partitions are dropped once wholly older). */
  DELIVERY_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
});
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): { env: Env; keys: ResolvedKeys } => loadEnvWithKeysOrExit(EnvSchema, process.env);

export const inboundHttpSettings = (env: Env): InboundHttpSettings => ({
  bodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
  rateLimitPerMinute: env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
});

export const outboundSettings = (env: Env): OutboundSettings => ({
  fetch: {
    label: 'webhook delivery',
    allowPrivateNetworks: env.FETCH_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: parseAllowedHosts(env.FETCH_ALLOWED_HOSTS),
    timeoutMs: env.WEBHOOK_DELIVERY_TIMEOUT_MS,
    maxResponseBytes: env.WEBHOOK_RESPONSE_BODY_MAX_BYTES,
    maxRedirects: 0,
    followRedirects: false,
    truncateResponse: true,
  },
  fanoutConcurrency: env.WEBHOOK_FANOUT_CONCURRENCY,
  deliveryConcurrency: env.WEBHOOK_DELIVERY_CONCURRENCY,
  perEndpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
  disableAfterMs: env.WEBHOOK_DISABLE_AFTER_MS,
  maxReplay: env.WEBHOOK_MAX_REPLAY,
});
