import { DefaultPorts } from '@signalbox/contracts';
import {
  commonEnvProperties,
  databaseEnvProperties,
  loadEnvWithKeysOrExit,
  type ResolvedKeys,
  secretKeysEnvProperties,
} from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

import type { InboundHttpSettings } from '../inbound/inbound.routes';

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
    description: 'Requests per minute to one webhook path, per replica; above it 429 with Retry-After.',
  }),
});
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): { env: Env; keys: ResolvedKeys } => loadEnvWithKeysOrExit(EnvSchema, process.env);

export const inboundHttpSettings = (env: Env): InboundHttpSettings => ({
  bodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
  rateLimitPerMinute: env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
});
