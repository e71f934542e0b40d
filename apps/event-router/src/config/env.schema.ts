import { DefaultPorts } from '@signalbox/contracts';
import { commonEnvProperties, loadEnvOrExit } from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Every setting of event-router. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...commonEnvProperties(DefaultPorts['event-router']),
  ROUTER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 256,
    description: 'Record events one router replica routes at the same time (events of one record stay in order).',
  }),
  REPLAY_MAX_EVENTS: Type.Integer({
    minimum: 1,
    default: 1_000_000,
    description: 'The most events one replay reads; a larger window is cut there and the replay says so.',
  }),
});
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): Env => loadEnvOrExit(EnvSchema, process.env);
