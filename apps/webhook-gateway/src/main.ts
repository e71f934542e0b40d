import 'reflect-metadata';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { defaultInstanceId, DEVELOPMENT_KEY_WARNING, runService } from '@signalbox/service-kit';
import { Logger } from 'nestjs-pino';

import { AppModule } from './app.module';
import { inboundHttpSettings, loadEnv } from './config/env.schema';
import { registerOpenApiRoute } from './inbound/inbound.openapi';
import { registerInboundRoutes } from './inbound/inbound.routes';

const { env, keys } = loadEnv();
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const identity = {
  name: 'webhook-gateway',
  version,
  instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
  startedAt: Date.now(),
} as const;

void runService(AppModule.register(env, keys, identity), identity, env, {
  beforeListen: async (app) => {
    await registerInboundRoutes(app, inboundHttpSettings(env));
    registerOpenApiRoute(app, identity.version);
  },
}).then((app) => {
  if (keys.usingDevelopmentKey) app.get(Logger).warn(DEVELOPMENT_KEY_WARNING);
});
