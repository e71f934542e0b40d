import 'reflect-metadata';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultInstanceId, runService, StorableInputPipe } from '@signalbox/service-kit';
import { Logger } from 'nestjs-pino';

import { AppModule } from './app.module';
import { loadEnv } from './config/env.schema';
import { registerConsole } from './console/console.static';
import { setupOpenApi } from './openapi/openapi.setup';

const { env, auth, secrets } = loadEnv();
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const identity = {
  name: 'data-service',
  version,
  instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
  startedAt: Date.now(),
} as const;

let consoleBuilt = false;
void runService(AppModule.register(env, auth.settings, secrets, identity), identity, env, {
  beforeListen: async (app) => {
    // What a caller of the management API sends is refused when the platform could not store it as sent.
    app.useGlobalPipes(new StorableInputPipe());
    setupOpenApi(app, version);
    consoleBuilt = await registerConsole(app, undefined, { traceUrl: env.CONSOLE_TRACE_URL });
  },
}).then((app) => {
  if (!consoleBuilt) {
    app
      .get(Logger)
      .warn('the web console is not built (apps/console/dist): /console answers 404 until `npx nx build console`');
  }
  if (secrets.usingDevelopmentKey) {
    app
      .get(Logger)
      .warn(
        'SECRETS_PUBLIC_KEY is not set: secret params are sealed with the built-in DEVELOPMENT key, whose private half is public. Run npm run keygen and set SECRETS_PUBLIC_KEY before storing real secrets.',
      );
  }
  if (auth.usingDevelopmentSecret) {
    app
      .get(Logger)
      .warn(
        'JWT_SECRET is not set: tokens are checked against the built-in DEVELOPMENT secret. Anyone can mint a valid token. Set JWT_SECRET or JWT_JWKS_URI before exposing this service.',
      );
  }
});
