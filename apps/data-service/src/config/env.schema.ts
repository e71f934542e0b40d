import { type AuthSettings, DEVELOPMENT_JWT_SECRET, type JwtAlgorithm } from '@signalbox/auth';
import { DefaultPorts } from '@signalbox/contracts';
import { DEVELOPMENT_SECRET_KEYS, parseVersionedKeys, type VersionedKey } from '@signalbox/crypto';
import {
  commonEnvProperties,
  ConfigError,
  databaseEnvProperties,
  loadEnvOrExit,
  outboundHttpEnvProperties,
} from '@signalbox/service-kit';
import { type Static, Type } from '@sinclair/typebox';

const ALGORITHMS = 'HS256|HS384|HS512|RS256|RS384|RS512|ES256|ES384|ES512';

/** Every setting of data-service. The only file that reads process.env. */
export const EnvSchema = Type.Object({
  ...commonEnvProperties(DefaultPorts['data-service']),
  ...databaseEnvProperties(),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** Earlier HS* secrets still accepted during a rotation, comma-separated (JWT_SECRET is the one that signs). */
  JWT_PREVIOUS_SECRETS: Type.Optional(Type.String({ minLength: 16 })),
  JWT_JWKS_URI: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  JWT_ALGORITHMS: Type.Optional(Type.String({ pattern: `^(${ALGORITHMS})(,(${ALGORITHMS}))*$` })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  SYSTEM_STATUS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 30_000, default: 2000 }),
  RUNTIME_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
  SECRETS_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '^\\d{1,6}:[A-Za-z0-9+/]{43}=$' })),
  FUNCTION_CODE_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 262_144 }),
  FUNCTION_DEFAULT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 30_000 }),
  FUNCTION_DEFAULT_MEMORY_MB: Type.Integer({ minimum: 8, maximum: 1024, default: 128 }),
  ...outboundHttpEnvProperties(),
  // Requests per minute per API key or token subject, shared by every replica (seed 004: execute 500).
  RATE_LIMIT_READ_PER_MINUTE: Type.Integer({ minimum: 1, default: 6000 }),
  RATE_LIMIT_WRITE_PER_MINUTE: Type.Integer({ minimum: 1, default: 1200 }),
  RATE_LIMIT_EXECUTE_PER_MINUTE: Type.Integer({ minimum: 1, default: 500 }),
  /** Runs one workspace may have waiting, retrying or running at once; beyond it execute answers 429 QUOTA_EXCEEDED. */
  RUNS_IN_FLIGHT_PER_WORKSPACE: Type.Integer({ minimum: 1, default: 50_000 }),
  /** Scheduled and polling triggers one workspace may have. */
  SCHEDULES_PER_WORKSPACE: Type.Integer({ minimum: 1, default: 1000 }),
  /** Live streams (`GET /live`) one workspace may hold open on one replica; beyond it 429. */
  LIVE_STREAMS_PER_WORKSPACE: Type.Integer({ minimum: 1, default: 2000 }),
  /** Live streams one replica holds open at most; beyond it 429. */
  LIVE_STREAMS_MAX: Type.Integer({ minimum: 1, default: 20_000 }),
  /**
   * The console links a run's trace id here, `{traceId}` replaced: the operator's trace viewer, such as
   * `http://localhost:16686/trace/{traceId}` (Jaeger). Unset: the console shows the id without a link.
   */
  CONSOLE_TRACE_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s"<>]*\\{traceId\\}[^\\s"<>]*$' })),
});
export type Env = Static<typeof EnvSchema>;

export interface ResolvedAuth {
  readonly settings: AuthSettings;
  readonly usingDevelopmentSecret: boolean;
}

/** JWT settings with the rules that span several keys. Throws a ConfigError naming the keys. */
export function resolveAuth(env: Env): ResolvedAuth {
  const { JWT_SECRET: secret, JWT_JWKS_URI: jwksUri } = env;
  const previousSecrets = env.JWT_PREVIOUS_SECRETS?.split(',').map((previous) => previous.trim()) ?? [];
  if (secret && jwksUri) throw new ConfigError(['set only one of JWT_SECRET and JWT_JWKS_URI']);
  if (previousSecrets.length > 0 && !secret) {
    throw new ConfigError(['JWT_PREVIOUS_SECRETS needs JWT_SECRET (the secret that signs now)']);
  }
  if (previousSecrets.some((previous) => previous.length < 16)) {
    throw new ConfigError(['each of JWT_PREVIOUS_SECRETS must be at least 16 characters']);
  }
  if (env.NODE_ENV === 'production') {
    if (!secret && !jwksUri) throw new ConfigError(['JWT_SECRET or JWT_JWKS_URI is required when NODE_ENV=production']);
    if (secret && secret.length < 32)
      throw new ConfigError(['JWT_SECRET must be at least 32 characters when NODE_ENV=production']);
    if (secret === DEVELOPMENT_JWT_SECRET)
      throw new ConfigError(['JWT_SECRET must not be the development secret in production']);
    if (previousSecrets.some((previous) => previous.length < 32 || previous === DEVELOPMENT_JWT_SECRET))
      throw new ConfigError([
        'each of JWT_PREVIOUS_SECRETS must be at least 32 characters, and not the development secret, in production',
      ]);
  }
  const symmetric = !jwksUri;
  const algorithms = (env.JWT_ALGORITHMS?.split(',') ?? (symmetric ? ['HS256'] : ['RS256', 'ES256'])) as JwtAlgorithm[];
  const mismatched = algorithms.filter((algorithm) => algorithm.startsWith('HS') !== symmetric);
  if (mismatched.length > 0) {
    throw new ConfigError([
      `JWT_ALGORITHMS ${mismatched.join(',')} cannot be used with ${symmetric ? 'JWT_SECRET (HS* only)' : 'JWT_JWKS_URI (RS*/ES* only)'}`,
    ]);
  }
  return {
    settings: {
      ...(jwksUri ? { jwksUri } : { secret: secret ?? DEVELOPMENT_JWT_SECRET }),
      ...(previousSecrets.length > 0 ? { previousSecrets } : {}),
      algorithms,
      ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
      ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
    },
    usingDevelopmentSecret: !secret && !jwksUri,
  };
}

export interface ResolvedSecrets {
  readonly publicKey: VersionedKey;
  readonly usingDevelopmentKey: boolean;
}

/** The public key that seals secret params; production refuses to start without a real one. */
export function resolveSecrets(env: Env): ResolvedSecrets {
  if (env.SECRETS_PUBLIC_KEY) {
    const [key] = parseVersionedKeys(env.SECRETS_PUBLIC_KEY);
    if (key.key === DEVELOPMENT_SECRET_KEYS.publicKey && env.NODE_ENV === 'production') {
      throw new ConfigError(['SECRETS_PUBLIC_KEY must not be the development key in production']);
    }
    return { publicKey: key, usingDevelopmentKey: false };
  }
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(['SECRETS_PUBLIC_KEY is required when NODE_ENV=production (npm run keygen makes one)']);
  }
  return {
    publicKey: { version: DEVELOPMENT_SECRET_KEYS.version, key: DEVELOPMENT_SECRET_KEYS.publicKey },
    usingDevelopmentKey: true,
  };
}

export function loadEnv(): { env: Env; auth: ResolvedAuth; secrets: ResolvedSecrets } {
  const env = loadEnvOrExit(EnvSchema, process.env);
  try {
    return { env, auth: resolveAuth(env), secrets: resolveSecrets(env) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
