import { DefaultPorts } from '@signalbox/contracts';
import { commonEnvProperties, databaseEnvProperties, loadEnvOrExit } from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Every setting of compute-runtime. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...databaseEnvProperties(),
  ...commonEnvProperties(DefaultPorts['compute-runtime']),
});
export type Env = Static<typeof EnvSchema>;

export const loadEnv = (): Env => loadEnvOrExit(EnvSchema, process.env);
