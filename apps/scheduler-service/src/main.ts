import 'reflect-metadata';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultInstanceId, DEVELOPMENT_KEY_WARNING, runService } from '@signalbox/service-kit';
import { Logger } from 'nestjs-pino';

import { AppModule } from './app.module';
import { loadEnv } from './config/env.schema';

const { env, keys } = loadEnv();
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const identity = {
  name: 'scheduler-service',
  version,
  instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
  startedAt: Date.now(),
} as const;

void runService(AppModule.register(env, keys, identity), identity, env).then((app) => {
  if (keys.usingDevelopmentKey) app.get(Logger).warn(DEVELOPMENT_KEY_WARNING);
});
