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
import { sealStoredPlaintext } from '../../src/secrets/seal-stored-plaintext';
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

  it('seals what earlier releases kept in plain text: nested params, signing secrets, drafts and version snapshots', async () => {
    const pair = await generateSecretKeyPair();
    const sealer = await SecretSealer.create({ version: 1, key: pair.publicKey });
    const opener = await SecretOpener.create([{ version: 1, key: pair.privateKey }]);
    const [triggerId, draftId, functionId] = [randomUUID(), randomUUID(), randomUUID()];
    const stored = {
      path: '/plain',
      params: { db: { password: { value: 'pw-old', encrypt: true } }, signingSecret: 'whsec_old', other: 'p' },
    };
    await queryDatabase(
      db.url,
      `INSERT INTO data.compute_functions (id, workspace_slug, name, description, code, timeout_ms, memory_mb, version,
         created_by, updated_by, created_at, updated_at)
       VALUES ($1, 'acme', $2, '', 'async function run() {}', 1000, 64, 1, 'u', 'u', now(), now())`,
      [functionId, `f-${functionId}`],
    );
    await queryDatabase(
      db.url,
      `INSERT INTO data.function_triggers (id, workspace_slug, name, description, function_id, execution_type,
         trigger_metadata, enabled, is_system, version, created_by, updated_by, created_at, updated_at)
       VALUES ($1, 'acme', $2, '', $3, 'endpoint', $4, true, false, 3, 'u', 'u', now() - interval '1 day', now() - interval '1 day')`,
      [triggerId, `plain-${triggerId}`, functionId, JSON.stringify(stored)],
    );
    await queryDatabase(
      db.url,
      `INSERT INTO data.function_trigger_versions (trigger_id, version, workspace_slug, change, snapshot, changed_by, changed_at)
       VALUES ($1, 3, 'acme', 'updated', $2, 'u', now())`,
      [triggerId, JSON.stringify({ id: triggerId, triggerMetadata: stored })],
    );
    await queryDatabase(
      db.url,
      `INSERT INTO data.function_trigger_drafts (id, workspace_slug, description, trigger_metadata, created_by, updated_by, created_at, updated_at)
       VALUES ($1, 'acme', '', $2, 'u', 'u', now(), now())`,
      [draftId, JSON.stringify({ params: { signingSecret: 'whsec_draft' } })],
    );

    expect(await sealStoredPlaintext(database.source, sealer)).toBe(3);

    const text = await queryDatabase<{ t: string }>(
      db.url,
      `SELECT (SELECT string_agg(trigger_metadata::text, '') FROM data.function_triggers) ||
              (SELECT string_agg(snapshot::text, '') FROM data.function_trigger_versions) ||
              (SELECT string_agg(trigger_metadata::text, '') FROM data.function_trigger_drafts) AS t`,
    );
    expect(text[0].t).not.toMatch(/pw-old|whsec_old|whsec_draft/);
    const [row] = await queryDatabase<{
      trigger_metadata: { params: { db: { password: SealedSecret }; signingSecret: SealedSecret; other: string } };
      version: number;
      fresh: boolean;
    }>(
      db.url,
      `SELECT trigger_metadata, version, updated_at > now() - interval '1 minute' AS fresh FROM data.function_triggers WHERE id = $1`,
      [triggerId],
    );
    // Same version (the secrets did not change), a new updatedAt (so the reconcile republishes it).
    expect(row).toMatchObject({ version: 3, fresh: true });
    const owner = { workspace: 'acme', ownerId: triggerId };
    await expect(
      opener.open(row.trigger_metadata.params.db.password, { ...owner, param: 'params.db["password"]' }),
    ).resolves.toBe('pw-old');
    await expect(
      opener.open(row.trigger_metadata.params.signingSecret, { ...owner, param: 'params.signingSecret' }),
    ).resolves.toBe('whsec_old');
    expect(row.trigger_metadata.params.other).toBe('p');
    expect(await sealStoredPlaintext(database.source, sealer)).toBe(0);
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
