import { type Static, type TObject, Type } from '@sinclair/typebox';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { unsupportedNodeMessage } from './runtime';

/** Thrown when the environment does not satisfy a service's schema. The message is one line naming every bad key. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true });
addFormats(ajv);

/**
 * Validates the keys of `schema` taken from `env` (defaults applied, numbers and booleans coerced).
 * Keys that are not in the schema are ignored; an empty string counts as unset.
 */
export function parseEnv<T extends TObject>(schema: T, env: Readonly<Record<string, string | undefined>>): Static<T> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const validate = ajv.compile(schema);
  if (!validate(picked)) {
    const problems = (validate.errors ?? []).map((error) => {
      if (error.keyword === 'required') return `${String(error.params['missingProperty'])} is required`;
      const key = error.instancePath.replace(/^\//, '');
      const allowed = error.keyword === 'enum' || error.keyword === 'anyOf' ? describeAllowed(schema, key) : '';
      return `${key} ${error.message ?? 'is invalid'}${allowed} (got "${String(picked[key])}")`;
    });
    throw new ConfigError([...new Set(problems)]);
  }
  return picked;
}

function describeAllowed(schema: TObject, key: string): string {
  const property = schema.properties[key] as { anyOf?: Array<{ const?: string }> } | undefined;
  const values = property?.anyOf?.map((option) => option.const).filter((value): value is string => value !== undefined);
  return values?.length ? `: one of ${values.join(', ')}` : '';
}

/** For main.ts: check the Node.js version and parse, or print the one line and stop the process. */
export function loadEnvOrExit<T extends TObject>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
): Static<T> {
  const tooOld = unsupportedNodeMessage(process.version, process.execPath);
  if (tooOld) {
    process.stderr.write(`${tooOld}\n`);
    process.exit(1);
  }
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const Port = (defaultPort: number) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: defaultPort, description: 'HTTP port (health, metrics, API)' });

/** The settings every service reads. Each service's `env.schema.ts` extends it. */
export const commonEnvProperties = (defaultPort: number) => ({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Port(defaultPort),
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
  NATS_URL: Type.String({
    default: 'nats://127.0.0.1:4222',
    pattern: '^(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*$',
  }),
  NATS_STREAM_REPLICAS: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
  NATS_DUPLICATE_WINDOW_MS: Type.Integer({ minimum: 1000, default: 120_000 }),
  RECORD_EVENTS_MAX_AGE_MS: Type.Integer({ minimum: 60_000, default: 7 * 24 * 3_600_000 }),
  NATS_ACK_WAIT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000 }),
  /** Deliveries of one message after which a durable consumer moves it to DEAD_LETTERS (`npm run dead-letters`). */
  NATS_MAX_DELIVERIES: Type.Integer({ minimum: 2, maximum: 10_000, default: 100 }),
  HTTP_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1_048_576 }),
  /** Slow clients: a request's headers must arrive within HTTP_HEADERS_TIMEOUT_MS, the whole request within this. */
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 25_000 }),
});

export const databaseEnvProperties = () => ({
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/signalbox',
    pattern: '^postgres(ql)?://',
  }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** How long a row's queue message may wait for its writer before the outbox sweep publishes it. */
  OUTBOX_GRACE_MS: Type.Integer({ minimum: 500, maximum: 3_600_000, default: 10_000 }),
});

export const CommonEnv = Type.Object(commonEnvProperties(3000));
export type CommonEnv = Static<typeof CommonEnv>;
export const DatabaseEnv = Type.Object(databaseEnvProperties());
export type DatabaseEnv = Static<typeof DatabaseEnv>;

/**
 * The outbound HTTP policy (`libs/net-guard`), one setting for every service that reaches out: `api.fetch`,
 * outbound webhooks (checked when saved and when sent) and polling triggers.
 */
export const outboundHttpEnvProperties = () => ({
  FETCH_ALLOW_PRIVATE_NETWORKS: Type.Boolean({
    default: false,
    description: 'Allow loopback, private, link-local and metadata addresses (npm start sets it for local testing).',
  }),
  FETCH_ALLOWED_HOSTS: Type.String({ default: '', description: 'hosts, host:port and CIDR ranges exempt' }),
});
