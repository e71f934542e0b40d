import { isSealedSecret, type SecretOpener, type SecretSealer } from '@signalbox/crypto';
import type { DataSource, EntityManager } from 'typeorm';

import { asRow } from '../common/list.repository';
import {
  FunctionTriggerDraftEntity,
  FunctionTriggerEntity,
  FunctionTriggerVersionEntity,
} from '../function-triggers/function-trigger.entity';
import { toFunctionTrigger } from '../function-triggers/function-trigger.mapper';
import type { WebhookRecord, WebhookRepository } from '../webhooks/webhook.repository';
import { resealMetadata } from './seal-stored-plaintext';

export interface ResealReport {
  /** Triggers whose secrets were re-sealed (each got a new version, change `resealed`). */
  readonly triggers: FunctionTriggerEntity[];
  readonly drafts: number;
  readonly secrets: number;
}

/**
 * The key-rotation job (docs/secrets.md): re-seals every secret param of every trigger and draft that is
 * not on the current key version, at any depth (and seals any still in plain text). Row by row, each in its own transaction with the row locked, so it
 * can run while the platform serves traffic and can be re-run after a crash.
 */
type Owner = typeof FunctionTriggerEntity | typeof FunctionTriggerDraftEntity;

/**
 * For every row of `entity`: lock it in its own transaction, re-seal its secrets, and when any changed let
 * `save` write the row. Returns how many secrets were re-sealed.
 */
async function resealEach<E extends FunctionTriggerEntity | FunctionTriggerDraftEntity>(
  source: DataSource,
  entity: Owner,
  keys: { opener: SecretOpener; sealer: SecretSealer },
  save: (manager: EntityManager, current: E, metadata: Record<string, unknown>) => Promise<void>,
): Promise<number> {
  let secrets = 0;
  const rows = await source.getRepository(entity).find({ select: { id: true, workspaceSlug: true } });
  for (const { id, workspaceSlug } of rows) {
    await source.transaction(async (manager: EntityManager) => {
      const current = (await manager.findOne(entity, {
        where: { id, workspaceSlug },
        lock: { mode: 'pessimistic_write' },
      })) as E | null;
      if (!current) return;
      const binding = { workspace: workspaceSlug, ownerId: id };
      const { metadata, count } = await resealMetadata(current.triggerMetadata, binding, keys);
      if (count === 0) return;
      await save(manager, current, metadata);
      secrets += count;
    });
  }
  return secrets;
}

export async function resealSecrets(
  source: DataSource,
  opener: SecretOpener,
  sealer: SecretSealer,
): Promise<ResealReport> {
  const keys = { opener, sealer };
  const triggers: FunctionTriggerEntity[] = [];
  let drafts = 0;
  const triggerSecrets = await resealEach<FunctionTriggerEntity>(
    source,
    FunctionTriggerEntity,
    keys,
    async (manager, current, metadata) => {
      const next: FunctionTriggerEntity = {
        ...current,
        triggerMetadata: metadata,
        version: current.version + 1,
        updatedBy: 'system:reseal',
        updatedAt: new Date(),
      };
      const where = { id: next.id, workspaceSlug: next.workspaceSlug };
      await manager.update(FunctionTriggerEntity, where, asRow(next));
      await manager.insert(
        FunctionTriggerVersionEntity,
        asRow<FunctionTriggerVersionEntity>({
          triggerId: next.id,
          workspaceSlug: next.workspaceSlug,
          version: next.version,
          change: 'resealed',
          snapshot: { ...toFunctionTrigger(next) },
          changedBy: next.updatedBy,
          changedAt: next.updatedAt,
        }),
      );
      triggers.push(next);
    },
  );
  const draftSecrets = await resealEach<FunctionTriggerDraftEntity>(
    source,
    FunctionTriggerDraftEntity,
    keys,
    async (manager, current, metadata) => {
      const where = { id: current.id, workspaceSlug: current.workspaceSlug };
      await manager.update(FunctionTriggerDraftEntity, where, asRow({ ...current, triggerMetadata: metadata }));
      drafts++;
    },
  );
  return { triggers, drafts, secrets: triggerSecrets + draftSecrets };
}

/** Outbound webhook secrets (current and previous) not on the sealer's key version, sealed again row by row. */
export async function resealWebhookSecrets(
  webhooks: WebhookRepository,
  opener: SecretOpener,
  sealer: SecretSealer,
): Promise<WebhookRecord[]> {
  const stale = (value: unknown) => isSealedSecret(value) && value.keyVersion !== sealer.keyVersion;
  const resealed: WebhookRecord[] = [];
  for (const webhook of await webhooks.all()) {
    if (!stale(webhook.secret) && !stale(webhook.previousSecret)) continue;
    const binding = { workspace: webhook.workspaceSlug, ownerId: webhook.id, param: 'secret' };
    const again = async (value: unknown) =>
      isSealedSecret(value) && stale(value) ? sealer.seal(await opener.open(value, binding), binding) : value;
    const updated = await webhooks.update(webhook.workspaceSlug, webhook.id, async (current) => ({
      ...current,
      secret: await again(current.secret),
      previousSecret: await again(current.previousSecret),
      updatedBy: 'reseal',
    }));
    if (updated) resealed.push(updated);
  }
  return resealed;
}
