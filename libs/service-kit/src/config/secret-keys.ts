import { DEVELOPMENT_SECRET_KEYS, parseVersionedKeys, type VersionedKey } from '@signalbox/crypto';
import { type Static, type TObject, Type } from '@sinclair/typebox';

import { ConfigError, loadEnvOrExit } from './env';

/** `SECRETS_PRIVATE_KEYS` for the services that open sealed secret params (the execution plane). */
export const secretKeysEnvProperties = () => ({
  SECRETS_PRIVATE_KEYS: Type.Optional(
    Type.String({ pattern: '^\\d{1,6}:[A-Za-z0-9+/]{43}=(,\\s*\\d{1,6}:[A-Za-z0-9+/]{43}=)*$' }),
  ),
});

export interface ResolvedKeys {
  readonly privateKeys: VersionedKey[];
  readonly usingDevelopmentKey: boolean;
}

/** The private keys that open secret params; production refuses to start without real ones. */
export function resolveSecretKeys(env: {
  readonly SECRETS_PRIVATE_KEYS?: string;
  readonly NODE_ENV: string;
}): ResolvedKeys {
  if (env.SECRETS_PRIVATE_KEYS) {
    return { privateKeys: parseVersionedKeys(env.SECRETS_PRIVATE_KEYS), usingDevelopmentKey: false };
  }
  if (env.NODE_ENV === 'production') {
    throw new ConfigError(['SECRETS_PRIVATE_KEYS is required when NODE_ENV=production (npm run keygen makes one)']);
  }
  return {
    privateKeys: [{ version: DEVELOPMENT_SECRET_KEYS.version, key: DEVELOPMENT_SECRET_KEYS.privateKey }],
    usingDevelopmentKey: true,
  };
}

/** `loadEnvOrExit`, plus the private keys; a missing key in production stops the process with one line. */
export function loadEnvWithKeysOrExit<T extends TObject>(
  schema: T,
  source: Readonly<Record<string, string | undefined>>,
): { env: Static<T>; keys: ResolvedKeys } {
  const env = loadEnvOrExit(schema, source);
  try {
    return { env, keys: resolveSecretKeys(env as { SECRETS_PRIVATE_KEYS?: string; NODE_ENV: string }) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The line every execution-plane service logs at start when it opens secrets with the public development key. */
export const DEVELOPMENT_KEY_WARNING =
  'SECRETS_PRIVATE_KEYS is not set: secret params are opened with the built-in DEVELOPMENT key, which is public. Set SECRETS_PRIVATE_KEYS (npm run keygen) before storing real secrets.';
