import { Injectable } from '@nestjs/common';
import { Database } from '@signalbox/persistence';

import { asRow, listPage, UUID } from '../common/list.repository';
import type { ParsedListQuery } from '../common/list-query';
import { rethrowConstraintViolation } from '../common/postgres-errors';
import { pruneVersions } from '../common/versions';
import type { VersionRow } from '../compute-functions/compute-function.repository';
import {
  FunctionTriggerDraftEntity,
  FunctionTriggerEntity,
  FunctionTriggerVersionEntity,
} from './function-trigger.entity';

/** The only code that touches the trigger and draft tables. Every query is scoped by workspace. */
@Injectable()
export class FunctionTriggerRepository {
  constructor(private readonly database: Database) {}

  /**
   * Inserts the trigger with its first version: one statement, so both rows or neither, in one round trip. When
   * published from a draft, consumes the draft in the same transaction.
   */
  async create(trigger: FunctionTriggerEntity, version: VersionRow, consumeDraftId?: string): Promise<void> {
    if (!consumeDraftId) {
      await this.database
        .rows(INSERT_TRIGGER, insertParams(trigger, version), 'data.insert-trigger')
        .catch(rethrowConstraintViolation);
      return;
    }
    await this.database.source
      .transaction(async (manager) => {
        const consumed = await manager.delete(FunctionTriggerDraftEntity, {
          workspaceSlug: trigger.workspaceSlug,
          id: consumeDraftId,
        });
        if (!consumed.affected) throw new DraftGoneError();
        await manager.query(INSERT_TRIGGER, insertParams(trigger, version));
      })
      .catch(rethrowConstraintViolation);
  }

  async find(workspace: string, id: string): Promise<FunctionTriggerEntity | null> {
    if (!UUID.test(id)) return null;
    // The hottest read of the API: one prepared statement on the pool, rows mapped here.
    const rows = await this.database.rows<TriggerRow>(FIND_TRIGGER, [workspace, id], 'data.find-trigger');
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The ids of the workspace's triggers of one execution type (the runs list's filter). */
  async idsOfType(workspace: string, executionType: string): Promise<string[]> {
    const rows = await this.database.source.query<Array<{ id: string }>>(
      'SELECT id FROM data.function_triggers WHERE workspace_slug = $1 AND execution_type = $2',
      [workspace, executionType],
    );
    return rows.map((row) => row.id);
  }

  /** The workspace's scheduled and polling triggers (its schedules quota). */
  async countSchedules(workspace: string): Promise<number> {
    const [row] = await this.database.source.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM data.function_triggers
        WHERE workspace_slug = $1 AND execution_type IN ('scheduled', 'polling')`,
      [workspace],
    );
    return row?.n ?? 0;
  }

  async list(
    workspace: string,
    list: ParsedListQuery,
    filters: { functionId?: string; executionType?: string } = {},
  ): Promise<[FunctionTriggerEntity[], number]> {
    const params: unknown[] = [workspace];
    let where = 'workspace_slug = $1';
    if (filters.functionId) where += ` AND CAST(function_id AS text) = $${params.push(filters.functionId)}`;
    if (filters.executionType) where += ` AND execution_type = $${params.push(filters.executionType)}`;
    return listPage(this.database, FunctionTriggerEntity, { where, params }, list);
  }

  /** Locks the row, lets `change` compute the next state (or throw), writes it and its version row. */
  async update(
    workspace: string,
    id: string,
    change: (current: FunctionTriggerEntity) => Promise<{ next: FunctionTriggerEntity; version: VersionRow }>,
  ): Promise<FunctionTriggerEntity | null> {
    if (!UUID.test(id)) return null;
    return this.database.source
      .transaction(async (manager) => {
        const current = await manager.findOne(FunctionTriggerEntity, {
          where: { workspaceSlug: workspace, id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!current) return null;
        const { next, version } = await change(current);
        await manager.update(FunctionTriggerEntity, { id, workspaceSlug: workspace }, asRow(next));
        await manager.insert(FunctionTriggerVersionEntity, asRow(versionRow(next, version)));
        await pruneVersions(manager, { table: 'data.function_trigger_versions', triggerId: id }, next.version);
        return next;
      })
      .catch(rethrowConstraintViolation);
  }

  /** Deletes unless `guard` throws (system triggers). Returns the deleted trigger, or null when absent. */
  async delete(
    workspace: string,
    id: string,
    guard: (current: FunctionTriggerEntity) => void,
  ): Promise<FunctionTriggerEntity | null> {
    if (!UUID.test(id)) return null;
    return this.database.source.transaction(async (manager) => {
      const current = await manager.findOne(FunctionTriggerEntity, {
        where: { workspaceSlug: workspace, id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return null;
      guard(current);
      await manager.delete(FunctionTriggerEntity, { workspaceSlug: workspace, id });
      return current;
    });
  }

  async versions(workspace: string, id: string): Promise<FunctionTriggerVersionEntity[]> {
    return this.database.source.getRepository(FunctionTriggerVersionEntity).find({
      where: { workspaceSlug: workspace, triggerId: id },
      order: { version: 'DESC' },
    });
  }

  async all(): Promise<FunctionTriggerEntity[]> {
    return this.database.source.getRepository(FunctionTriggerEntity).find();
  }

  async createDraft(draft: FunctionTriggerDraftEntity): Promise<void> {
    await this.database.source.getRepository(FunctionTriggerDraftEntity).insert(asRow(draft));
  }

  async findDraft(workspace: string, id: string): Promise<FunctionTriggerDraftEntity | null> {
    if (!UUID.test(id)) return null;
    return this.database.source.getRepository(FunctionTriggerDraftEntity).findOneBy({ workspaceSlug: workspace, id });
  }

  async listDrafts(workspace: string, list: ParsedListQuery): Promise<[FunctionTriggerDraftEntity[], number]> {
    return listPage(
      this.database,
      FunctionTriggerDraftEntity,
      { where: 'workspace_slug = $1', params: [workspace] },
      list,
    );
  }

  async saveDraft(draft: FunctionTriggerDraftEntity): Promise<void> {
    await this.database.source
      .getRepository(FunctionTriggerDraftEntity)
      .update({ workspaceSlug: draft.workspaceSlug, id: draft.id }, asRow(draft));
  }

  async deleteDraft(workspace: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const result = await this.database.source
      .getRepository(FunctionTriggerDraftEntity)
      .delete({ workspaceSlug: workspace, id });
    return Boolean(result.affected);
  }
}

const FIND_TRIGGER = `SELECT id, workspace_slug, name, description, function_id, execution_type, trigger_metadata,
  enabled, is_system, version, created_by, updated_by, created_at, updated_at
  FROM data.function_triggers WHERE workspace_slug = $1 AND id = $2`;

interface TriggerRow {
  id: string;
  workspace_slug: string;
  name: string;
  description: string;
  function_id: string;
  execution_type: FunctionTriggerEntity['executionType'];
  trigger_metadata: Record<string, unknown>;
  enabled: boolean;
  is_system: boolean;
  version: number;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

function fromRow(row: TriggerRow): FunctionTriggerEntity {
  return {
    id: row.id,
    workspaceSlug: row.workspace_slug,
    name: row.name,
    description: row.description,
    functionId: row.function_id,
    executionType: row.execution_type,
    triggerMetadata: row.trigger_metadata,
    enabled: row.enabled,
    isSystem: row.is_system,
    version: row.version,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const INSERT_TRIGGER = `WITH inserted AS (
    INSERT INTO data.function_triggers (id, workspace_slug, name, description, function_id, execution_type,
      trigger_metadata, enabled, is_system, version, created_by, updated_by, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    RETURNING id, workspace_slug, version, updated_by, updated_at)
  INSERT INTO data.function_trigger_versions (trigger_id, workspace_slug, version, change, snapshot, changed_by, changed_at)
  SELECT id, workspace_slug, version, $15, $16, updated_by, updated_at FROM inserted`;

function insertParams(trigger: FunctionTriggerEntity, version: VersionRow): unknown[] {
  return [
    trigger.id,
    trigger.workspaceSlug,
    trigger.name,
    trigger.description,
    trigger.functionId,
    trigger.executionType,
    JSON.stringify(trigger.triggerMetadata),
    trigger.enabled,
    trigger.isSystem,
    trigger.version,
    trigger.createdBy,
    trigger.updatedBy,
    trigger.createdAt,
    trigger.updatedAt,
    version.change,
    JSON.stringify(version.snapshot),
  ];
}

/** The draft was published or deleted by a concurrent request. */
export class DraftGoneError extends Error {}

function versionRow(trigger: FunctionTriggerEntity, version: VersionRow): FunctionTriggerVersionEntity {
  return {
    triggerId: trigger.id,
    workspaceSlug: trigger.workspaceSlug,
    version: trigger.version,
    change: version.change,
    snapshot: version.snapshot,
    changedBy: trigger.updatedBy,
    changedAt: trigger.updatedAt,
  };
}
