import { Injectable } from '@nestjs/common';
import { Database } from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import { asRow, listPage, UUID } from '../common/list.repository';
import type { ParsedListQuery } from '../common/list-query';
import { rethrowConstraintViolation } from '../common/postgres-errors';
import { pruneVersions } from '../common/versions';
import { FunctionTriggerEntity, FunctionTriggerVersionEntity } from '../function-triggers/function-trigger.entity';
import { ComputeFunctionEntity, ComputeFunctionVersionEntity } from './compute-function.entity';

export interface VersionRow {
  readonly change: string;
  readonly snapshot: Record<string, unknown>;
}

/** The only code that touches the compute-function tables. Every query is scoped by workspace. */
@Injectable()
export class ComputeFunctionRepository {
  constructor(private readonly database: Database) {}

  /** The function, its first version, and its system default trigger, in one transaction. */
  async create(
    fn: ComputeFunctionEntity,
    version: VersionRow,
    systemTrigger: FunctionTriggerEntity,
    triggerVersion: VersionRow,
  ): Promise<void> {
    await this.database.source
      .transaction(async (manager) => {
        await manager.insert(ComputeFunctionEntity, asRow(fn));
        await manager.insert(ComputeFunctionVersionEntity, asRow(versionRow(fn, version)));
        await manager.insert(FunctionTriggerEntity, asRow(systemTrigger));
        await manager.insert(
          FunctionTriggerVersionEntity,
          asRow<FunctionTriggerVersionEntity>({
            triggerId: systemTrigger.id,
            workspaceSlug: systemTrigger.workspaceSlug,
            version: 1,
            change: triggerVersion.change,
            snapshot: triggerVersion.snapshot,
            changedBy: systemTrigger.createdBy,
            changedAt: systemTrigger.createdAt,
          }),
        );
      })
      .catch(rethrowConstraintViolation);
  }

  /** Whether the workspace has this function: one prepared statement, no row fetched (its code can be large). */
  async exists(workspace: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.database.rows(
      'SELECT 1 FROM data.compute_functions WHERE workspace_slug = $1 AND id = $2',
      [workspace, id],
      'data.function-exists',
    );
    return rows.length > 0;
  }

  async find(workspace: string, id: string): Promise<ComputeFunctionEntity | null> {
    if (!UUID.test(id)) return null;
    return this.database.source.getRepository(ComputeFunctionEntity).findOneBy({ workspaceSlug: workspace, id });
  }

  async list(workspace: string, list: ParsedListQuery): Promise<[ComputeFunctionEntity[], number]> {
    return listPage(this.database, ComputeFunctionEntity, { where: 'workspace_slug = $1', params: [workspace] }, list);
  }

  /**
   * Locks the row, lets `change` compute the next state (or throw), then writes it with a version row.
   * Returns null when the function does not exist in this workspace.
   */
  async update(
    workspace: string,
    id: string,
    change: (current: ComputeFunctionEntity) => { next: ComputeFunctionEntity; version: VersionRow },
  ): Promise<ComputeFunctionEntity | null> {
    if (!UUID.test(id)) return null;
    return this.database.source
      .transaction(async (manager) => {
        const current = await lockFunction(manager, workspace, id);
        if (!current) return null;
        const { next, version } = change(current);
        await manager.update(ComputeFunctionEntity, { id, workspaceSlug: workspace }, asRow(next));
        await manager.insert(ComputeFunctionVersionEntity, asRow(versionRow(next, version)));
        await pruneVersions(manager, { table: 'data.compute_function_versions', functionId: id }, next.version);
        return next;
      })
      .catch(rethrowConstraintViolation);
  }

  /** Deletes the function and its system trigger unless a user trigger still uses it (returns their names). */
  async delete(workspace: string, id: string): Promise<{ deleted: boolean; usedBy: string[] }> {
    if (!UUID.test(id)) return { deleted: false, usedBy: [] };
    return this.database.source.transaction(async (manager) => {
      const current = await lockFunction(manager, workspace, id);
      if (!current) return { deleted: false, usedBy: [] };
      const users = await manager.find(FunctionTriggerEntity, {
        where: { workspaceSlug: workspace, functionId: id, isSystem: false },
        select: { name: true },
        order: { name: 'ASC' },
        lock: { mode: 'pessimistic_read' },
      });
      if (users.length > 0) return { deleted: false, usedBy: users.map((user) => user.name) };
      await manager.delete(FunctionTriggerEntity, { workspaceSlug: workspace, functionId: id, isSystem: true });
      await manager.delete(ComputeFunctionEntity, { workspaceSlug: workspace, id });
      return { deleted: true, usedBy: [] };
    });
  }

  async versions(workspace: string, id: string): Promise<ComputeFunctionVersionEntity[]> {
    return this.database.source.getRepository(ComputeFunctionVersionEntity).find({
      where: { workspaceSlug: workspace, functionId: id },
      order: { version: 'DESC' },
    });
  }

  async systemTriggerIds(workspace: string, functionIds: readonly string[]): Promise<Map<string, string>> {
    if (functionIds.length === 0) return new Map();
    const rows = await this.database.source
      .getRepository(FunctionTriggerEntity)
      .createQueryBuilder('t')
      .select(['t.id', 't.functionId'])
      .where('t.workspaceSlug = :workspace AND t.isSystem = true AND t.functionId IN (:...functionIds)', {
        workspace,
        functionIds,
      })
      .getMany();
    return new Map(rows.map((row) => [row.functionId, row.id]));
  }

  /** Every function of every workspace, for republishing the execution-plane config. */
  async all(): Promise<ComputeFunctionEntity[]> {
    return this.database.source.getRepository(ComputeFunctionEntity).find();
  }
}

function lockFunction(manager: EntityManager, workspace: string, id: string) {
  return manager.findOne(ComputeFunctionEntity, {
    where: { workspaceSlug: workspace, id },
    lock: { mode: 'pessimistic_write' },
  });
}

function versionRow(fn: ComputeFunctionEntity, version: VersionRow): ComputeFunctionVersionEntity {
  return {
    functionId: fn.id,
    workspaceSlug: fn.workspaceSlug,
    version: fn.version,
    change: version.change,
    snapshot: version.snapshot,
    changedBy: fn.updatedBy,
    changedAt: fn.updatedAt,
  };
}
