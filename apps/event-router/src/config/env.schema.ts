import { DefaultPorts } from '@signalbox/contracts';
import { commonEnvProperties, loadEnvOrExit } from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Every setting of event-router. The only file that reads process.env. */
export const EnvSchema = Type.Object({ ...commonEnvProperties(DefaultPorts['event-router']) });
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): Env => loadEnvOrExit(EnvSchema, process.env);
