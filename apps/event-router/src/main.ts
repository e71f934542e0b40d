import 'reflect-metadata';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultInstanceId, runService } from '@signalbox/service-kit';

import { AppModule } from './app.module';
import { loadEnv } from './config/env.schema';

const env = loadEnv();
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const identity = {
  name: 'event-router',
  version,
  instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
  startedAt: Date.now(),
} as const;

void runService(AppModule.register(env, identity), identity, env);
