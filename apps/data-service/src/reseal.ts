import 'reflect-metadata';

import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { KvBuckets } from '@signalbox/contracts';
import { configKey } from '@signalbox/contracts';
import { parseVersionedKeys, SecretOpener, SecretSealer } from '@signalbox/crypto';
import { Database } from '@signalbox/persistence';

import { loadResealEnv } from './config/reseal-env.schema';
import { entities } from './database/entities';
import { migrations } from './database/migrations';
import { toTriggerConfig } from './function-triggers/function-trigger.mapper';
import { resealSecrets, resealWebhookSecrets } from './secrets/reseal';
import { toWebhookConfig } from './webhooks/webhook.mapper';
import { WebhookRepository } from './webhooks/webhook.repository';

/**
 * `npm run reseal`: the key-rotation job. Run it as a one-off process with SECRETS_PRIVATE_KEYS (every
 * version still in use) and SECRETS_PUBLIC_KEY (the new version); the data-service replicas themselves
 * never hold a private key. Re-sealed triggers are republished to the execution plane.
 */
async function main(): Promise<void> {
  const env = loadResealEnv();
  const sealer = await SecretSealer.create(parseVersionedKeys(env.SECRETS_PUBLIC_KEY)[0]);
  const opener = await SecretOpener.create(parseVersionedKeys(env.SECRETS_PRIVATE_KEYS));
  const log = (message: string) => process.stdout.write(`${message}\n`);
  const database = new Database(
    { url: env.DATABASE_URL, schema: 'data', poolMax: 2, applicationName: 'data-service:reseal', entities, migrations },
    { info: log, warn: log },
  );
  await database.whenReady();
  try {
    const report = await resealSecrets(database.source, opener, sealer);
    log(
      `re-sealed ${report.secrets} secrets in ${report.triggers.length} triggers and ${report.drafts} drafts with key version ${sealer.keyVersion}`,
    );
    const webhooks = await resealWebhookSecrets(new WebhookRepository(database), opener, sealer);
    log(`re-sealed the secrets of ${webhooks.length} outbound webhooks with key version ${sealer.keyVersion}`);
    if (report.triggers.length > 0 || webhooks.length > 0) {
      const nc = await connect({ servers: env.NATS_URL.split(',') });
      const triggers = await new Kvm(nc).open(KvBuckets.triggers.bucket);
      for (const trigger of report.triggers)
        await triggers.put(configKey(trigger.workspaceSlug, trigger.id), JSON.stringify(toTriggerConfig(trigger)));
      const subscriptions = await new Kvm(nc).open(KvBuckets.webhooks.bucket);
      for (const webhook of webhooks)
        await subscriptions.put(configKey(webhook.workspaceSlug, webhook.id), JSON.stringify(toWebhookConfig(webhook)));
      await nc.drain();
      log(`republished ${report.triggers.length} trigger and ${webhooks.length} webhook configs`);
    }
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`reseal failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
