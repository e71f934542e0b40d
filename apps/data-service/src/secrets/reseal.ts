import { isSealedSecret, type SealedSecret, type SecretOpener, type SecretSealer } from '@signalbox/crypto';
import type { DataSource, EntityManager } from 'typeorm';

import { asRow } from '../common/list.repository';
import {
  FunctionTriggerDraftEntity,
  FunctionTriggerEntity,
  FunctionTriggerVersionEntity,
} from '../function-triggers/function-trigger.entity';
import { toFunctionTrigger } from '../function-triggers/function-trigger.mapper';

export interface ResealReport {
  /** Triggers whose secrets were re-sealed (each got a new version, change `resealed`). */
  readonly triggers: FunctionTriggerEntity[];
  readonly drafts: number;
  readonly secrets: number;
}

type Metadata = Record<string, unknown>;
const GROUPS = ['params', 'headers'] as const;

/** Opens every secret not on the sealer's key version and seals it again with it. */
async function resealMetadata(
  metadata: Metadata,
  binding: { workspace: string; ownerId: string },
  opener: SecretOpener,
  sealer: SecretSealer,
): Promise<{ metadata: Metadata; count: number }> {
  let count = 0;
  const next: Metadata = { ...metadata };
  for (const group of GROUPS) {
    const values = metadata[group];
    if (typeof values !== 'object' || values === null) continue;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      if (isSealedSecret(value) && value.keyVersion !== sealer.keyVersion) {
        const param = `${group}.${name}`;
        const plaintext = await opener.open(value, { ...binding, param });
        out[name] = (await sealer.seal(plaintext, { ...binding, param })) satisfies SealedSecret;
        count++;
      } else {
        out[name] = value;
      }
    }
    next[group] = out;
  }
  return { metadata: next, count };
}

/**
 * The key-rotation job (docs/secrets.md): re-seals every secret param of every trigger and draft that is
 * not on the current key version. Row by row, each in its own transaction with the row locked, so it
 * can run while the platform serves traffic and can be re-run after a crash.
 */
export async function resealSecrets(
  source: DataSource,
  opener: SecretOpener,
  sealer: SecretSealer,
): Promise<ResealReport> {
  const triggers: FunctionTriggerEntity[] = [];
  let secrets = 0;
  let drafts = 0;
  const triggerIds = await source
    .getRepository(FunctionTriggerEntity)
    .find({ select: { id: true, workspaceSlug: true } });
  for (const { id, workspaceSlug } of triggerIds) {
    await source.transaction(async (manager: EntityManager) => {
      const current = await manager.findOne(FunctionTriggerEntity, {
        where: { id, workspaceSlug },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return;
      const { metadata, count } = await resealMetadata(
        current.triggerMetadata,
        { workspace: workspaceSlug, ownerId: id },
        opener,
        sealer,
      );
      if (count === 0) return;
      const next: FunctionTriggerEntity = {
        ...current,
        triggerMetadata: metadata,
        version: current.version + 1,
        updatedBy: 'system:reseal',
        updatedAt: new Date(),
      };
      await manager.update(FunctionTriggerEntity, { id, workspaceSlug }, asRow(next));
      await manager.insert(
        FunctionTriggerVersionEntity,
        asRow<FunctionTriggerVersionEntity>({
          triggerId: id,
          workspaceSlug,
          version: next.version,
          change: 'resealed',
          snapshot: { ...toFunctionTrigger(next) },
          changedBy: next.updatedBy,
          changedAt: next.updatedAt,
        }),
      );
      triggers.push(next);
      secrets += count;
    });
  }
  const draftIds = await source
    .getRepository(FunctionTriggerDraftEntity)
    .find({ select: { id: true, workspaceSlug: true } });
  for (const { id, workspaceSlug } of draftIds) {
    await source.transaction(async (manager: EntityManager) => {
      const current = await manager.findOne(FunctionTriggerDraftEntity, {
        where: { id, workspaceSlug },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return;
      const { metadata, count } = await resealMetadata(
        current.triggerMetadata,
        { workspace: workspaceSlug, ownerId: id },
        opener,
        sealer,
      );
      if (count === 0) return;
      await manager.update(
        FunctionTriggerDraftEntity,
        { id, workspaceSlug },
        asRow({ ...current, triggerMetadata: metadata }),
      );
      drafts++;
      secrets += count;
    });
  }
  return { triggers, drafts, secrets };
}
