import { resealSecretTree, type SecretOpener, type SecretSealer } from '@signalbox/crypto';

import { mapSecretGroups } from '../function-triggers/trigger-secrets';

type Metadata = Record<string, unknown>;

/** What the start-up sweep (a DataSource) and tests can run SQL with. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Re-seals one `triggerMetadata` for its owner: secrets still in plain text (`{value, encrypt: true}` at any
 * depth, a plain `signingSecret`) are sealed; with an `opener`, sealed secrets on another key version are
 * sealed again with the sealer's. Answers the new metadata and how many secrets changed.
 */
export async function resealMetadata(
  metadata: Metadata,
  owner: { workspace: string; ownerId: string },
  keys: { sealer: SecretSealer; opener?: SecretOpener },
): Promise<{ metadata: Metadata; count: number }> {
  let count = 0;
  const next = await mapSecretGroups(metadata, async (group, values) => {
    const resealed = await resealSecretTree(group, values, owner, keys);
    count += resealed.count;
    return resealed.value;
  });
  return { metadata: next, count };
}

// Rows that may hold a secret in plain text: an `encrypt` key at any depth, or a plain-text signingSecret.
const MAY_HOLD_PLAINTEXT = (column: string) => `(
  jsonb_path_exists(${column}, 'strict $.**.encrypt')
  OR jsonb_typeof(${column} #> '{params,signingSecret}') NOT IN ('object', 'null')
)`;

/**
 * Seals the secrets earlier releases stored in plain text (nested `{value, encrypt: true}` params, a
 * draft's or an endpoint trigger's `signingSecret`), in triggers, drafts and every version snapshot.
 * A trigger keeps its version number (its secrets did not change, only how they are kept) and gets a new
 * `updatedAt`, so the reconcile at start republishes it to the execution plane sealed. Needs only the
 * public key. Idempotent. Answers how many rows it changed.
 */
export async function sealStoredPlaintext(sql: SqlRunner, sealer: SecretSealer): Promise<number> {
  // A trigger gets a new updatedAt (the reconcile republishes what changed); a draft is not published.
  let changed =
    (await sealRows(sql, sealer, 'data.function_triggers', ', updated_at = now()')) +
    (await sealRows(sql, sealer, 'data.function_trigger_drafts', ''));
  const versions = (await sql.query(
    `SELECT trigger_id, version, workspace_slug, snapshot FROM data.function_trigger_versions
      WHERE ${MAY_HOLD_PLAINTEXT(`(snapshot -> 'triggerMetadata')`)}`,
  )) as Array<{ trigger_id: string; version: number; workspace_slug: string; snapshot: Metadata }>;
  for (const row of versions) {
    const owner = { workspace: row.workspace_slug, ownerId: row.trigger_id };
    const before = (row.snapshot['triggerMetadata'] ?? {}) as Metadata;
    const { metadata, count } = await resealMetadata(before, owner, { sealer });
    if (count === 0) continue;
    await sql.query(
      `UPDATE data.function_trigger_versions SET snapshot = jsonb_set(snapshot, '{triggerMetadata}', $3::jsonb)
        WHERE trigger_id = $1 AND version = $2`,
      [row.trigger_id, row.version, JSON.stringify(metadata)],
    );
    changed++;
  }
  return changed;
}

/** Seals the plain-text secrets of every row of a trigger or draft table that may hold some. */
async function sealRows(sql: SqlRunner, sealer: SecretSealer, table: string, alsoSet: string): Promise<number> {
  let changed = 0;
  const rows = (await sql.query(
    `SELECT id, workspace_slug, trigger_metadata FROM ${table} WHERE ${MAY_HOLD_PLAINTEXT('trigger_metadata')}`,
  )) as Array<{ id: string; workspace_slug: string; trigger_metadata: Metadata }>;
  for (const row of rows) {
    const owner = { workspace: row.workspace_slug, ownerId: row.id };
    const { metadata, count } = await resealMetadata(row.trigger_metadata, owner, { sealer });
    if (count === 0) continue;
    await sql.query(`UPDATE ${table} SET trigger_metadata = $2${alsoSet} WHERE id = $1`, [
      row.id,
      JSON.stringify(metadata),
    ]);
    changed++;
  }
  return changed;
}
