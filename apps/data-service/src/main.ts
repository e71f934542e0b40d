import 'reflect-metadata';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultInstanceId, runService } from '@signalbox/service-kit';
import { Logger } from 'nestjs-pino';

import { AppModule } from './app.module';
import { loadEnv } from './config/env.schema';

const { env, auth } = loadEnv();
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const identity = {
  name: 'data-service',
  version,
  instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
  startedAt: Date.now(),
} as const;

void runService(AppModule.register(env, auth.settings, identity), identity, env).then((app) => {
  if (auth.usingDevelopmentSecret) {
    app
      .get(Logger)
      .warn(
        'JWT_SECRET is not set: tokens are checked against the built-in DEVELOPMENT secret. Anyone can mint a valid token. Set JWT_SECRET or JWT_JWKS_URI before exposing this service.',
      );
  }
});
