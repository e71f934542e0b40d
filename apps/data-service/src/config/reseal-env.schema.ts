import { loadEnvOrExit } from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

/** Settings of the one-off re-seal job (src/reseal.ts). */
export const ResealEnvSchema = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/signalbox', pattern: '^postgres(ql)?://' }),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  SECRETS_PUBLIC_KEY: Type.String({ pattern: '^\\d{1,6}:[A-Za-z0-9+/]{43}=$' }),
  SECRETS_PRIVATE_KEYS: Type.String({ pattern: '^\\d{1,6}:[A-Za-z0-9+/]{43}=(,\\s*\\d{1,6}:[A-Za-z0-9+/]{43}=)*$' }),
});
export type ResealEnv = Static<typeof ResealEnvSchema>;

export const loadResealEnv = (): ResealEnv => loadEnvOrExit(ResealEnvSchema, process.env);
