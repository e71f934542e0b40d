import { randomUUID } from 'node:crypto';

import { generateSecretKeyPair, type SealedSecret, SecretOpener, SecretSealer } from '@signalbox/crypto';
import { Database } from '@signalbox/persistence';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@signalbox/testing';

import { ComputeFunctionEntity } from '../../src/compute-functions/compute-function.entity';
import { entities } from '../../src/database/entities';
import { migrations } from '../../src/database/migrations';
import { FunctionTriggerEntity } from '../../src/function-triggers/function-trigger.entity';
import { sealSecrets } from '../../src/function-triggers/trigger-secrets';
import { resealSecrets, resealWebhookSecrets } from '../../src/secrets/reseal';
import { WebhookRepository } from '../../src/webhooks/webhook.repository';

const quiet = { info: () => undefined, warn: () => undefined };

describe(resealSecrets.name, () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(
      { url: db.url, schema: 'data', poolMax: 2, applicationName: 'reseal-spec', entities, migrations },
      quiet,
    );
    await database.whenReady();
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('moves every secret to the new key version, once, with a version row, keeping the plaintext', async () => {
    const [v1, v2] = await Promise.all([generateSecretKeyPair(), generateSecretKeyPair()]);
    const oldSealer = await SecretSealer.create({ version: 1, key: v1.publicKey });
    const now = new Date();
    const fn: ComputeFunctionEntity = {
      id: randomUUID(),
      workspaceSlug: 'acme',
      name: 'f',
      description: '',
      code: 'async function run() {}',
      timeoutMs: 1000,
      memoryMb: 64,
      version: 1,
      createdBy: 'u',
      updatedBy: 'u',
      createdAt: now,
      updatedAt: now,
    };
    const triggerId = randomUUID();
    const metadata = await sealSecrets(
      {
        url: 'https://api.example.com',
        interval: 60,
        params: { apiKey: { value: 'sk_live_1', encrypt: true }, plain: 'p' },
        headers: { Authorization: { value: 'Bearer t', encrypt: true } },
      },
      'polling',
      { workspace: 'acme', ownerId: triggerId },
      oldSealer,
    );
    const trigger: FunctionTriggerEntity = {
      id: triggerId,
      workspaceSlug: 'acme',
      name: 'poll',
      description: '',
      functionId: fn.id,
      executionType: 'polling',
      triggerMetadata: metadata,
      enabled: true,
      isSystem: false,
      version: 1,
      createdBy: 'u',
      updatedBy: 'u',
      createdAt: now,
      updatedAt: now,
    };
    await database.source.getRepository(ComputeFunctionEntity).insert(fn);
    await database.source.getRepository(FunctionTriggerEntity).insert(trigger as never);

    const opener = await SecretOpener.create([
      { version: 1, key: v1.privateKey },
      { version: 2, key: v2.privateKey },
    ]);
    const sealer = await SecretSealer.create({ version: 2, key: v2.publicKey });
    const report = await resealSecrets(database.source, opener, sealer);

    expect(report.secrets).toBe(2);
    expect(report.triggers.map((t) => t.id)).toEqual([triggerId]);
    const [row] = await queryDatabase<{ trigger_metadata: Record<string, Record<string, unknown>>; version: number }>(
      db.url,
      'SELECT trigger_metadata, version FROM data.function_triggers WHERE id = $1',
      [triggerId],
    );
    expect(row.version).toBe(2);
    expect(row.trigger_metadata['params']['plain']).toBe('p');
    const onlyNewKey = await SecretOpener.create([{ version: 2, key: v2.privateKey }]);
    const apiKey = row.trigger_metadata['params']['apiKey'] as SealedSecret;
    expect(apiKey.keyVersion).toBe(2);
    await expect(
      onlyNewKey.open(apiKey, { workspace: 'acme', ownerId: triggerId, param: 'params.apiKey' }),
    ).resolves.toBe('sk_live_1');
    const header = row.trigger_metadata['headers']['Authorization'] as SealedSecret;
    await expect(
      onlyNewKey.open(header, { workspace: 'acme', ownerId: triggerId, param: 'headers.Authorization' }),
    ).resolves.toBe('Bearer t');
    expect(
      await queryDatabase(
        db.url,
        'SELECT change, changed_by FROM data.function_trigger_versions WHERE trigger_id = $1',
        [triggerId],
      ),
    ).toEqual([{ change: 'resealed', changed_by: 'system:reseal' }]);

    const again = await resealSecrets(database.source, opener, sealer);
    expect(again).toEqual({ triggers: [], drafts: 0, secrets: 0 });
  });

  it('moves outbound webhook secrets (current and previous) to the new key version, keeping the plaintext', async () => {
    const [v1, v2] = await Promise.all([generateSecretKeyPair(), generateSecretKeyPair()]);
    const oldSealer = await SecretSealer.create({ version: 1, key: v1.publicKey });
    const newSealer = await SecretSealer.create({ version: 2, key: v2.publicKey });
    const opener = await SecretOpener.create([
      { version: 1, key: v1.privateKey },
      { version: 2, key: v2.privateKey },
    ]);
    const webhooks = new WebhookRepository(database);
    const id = randomUUID();
    const binding = { workspace: 'acme', ownerId: id, param: 'secret' };
    const now = new Date();
    await webhooks.insert({
      id,
      workspaceSlug: 'acme',
      name: `hook-${id}`,
      url: 'https://example.com/hook',
      events: ['record.created'],
      filters: {},
      retrySchedule: [1, 5, 15],
      enabled: true,
      disabledReason: null,
      secret: await oldSealer.seal('whsec_new', binding),
      secretHint: 'whsec_new...',
      previousSecret: await oldSealer.seal('whsec_old', binding),
      previousSecretUntil: new Date(now.getTime() + 60_000),
      createdBy: 'u',
      updatedBy: 'u',
      createdAt: now,
      updatedAt: now,
      version: 1,
    });

    const resealed = await resealWebhookSecrets(webhooks, opener, newSealer);
    expect(resealed.map((webhook) => webhook.id)).toEqual([id]);
    const stored = (await webhooks.find('acme', id))!;
    expect(stored).toMatchObject({ version: 2, secret: { keyVersion: 2 }, previousSecret: { keyVersion: 2 } });
    await expect(opener.open(stored.secret as SealedSecret, binding)).resolves.toBe('whsec_new');
    await expect(opener.open(stored.previousSecret as SealedSecret, binding)).resolves.toBe('whsec_old');
    expect(await resealWebhookSecrets(webhooks, opener, newSealer)).toEqual([]);
  });
});
