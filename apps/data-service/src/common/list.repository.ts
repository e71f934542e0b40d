import { createHash } from 'node:crypto';

import type { Database } from '@signalbox/persistence';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

import type { ParsedListQuery } from './list-query';

const escapeLike = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Where a list is scoped (its workspace, and the route's filters): SQL over `$1`, `$2`... and their values. */
export interface ListScope {
  readonly where: string;
  readonly params: readonly unknown[];
}

/**
 * One page of an entity's rows, with search, sort and paging (already checked against the resource's allowed
 * fields) applied in `scope`, and the total: one plain statement (the count as a sub-select), the rows mapped
 * to the entity by its column names. Only when a later page is past the end does the total take a second statement.
 */
export async function listPage<T extends ObjectLiteral>(
  database: Database,
  entity: EntityTarget<T>,
  scope: ListScope,
  list: ParsedListQuery,
): Promise<[T[], number]> {
  const metadata = database.source.getMetadata(entity);
  const column = (field: string) => {
    const found = metadata.findColumnWithPropertyName(field);
    if (!found) throw new Error(`${metadata.name} has no column for ${field}`);
    return `"${found.databaseName}"`;
  };
  const params = [...scope.params];
  const conditions = [`(${scope.where})`];
  if (list.search) {
    params.push(`%${escapeLike(list.search.term)}%`);
    conditions.push(`CAST(${column(list.search.field)} AS text) ILIKE $${params.length} ESCAPE '\\'`);
  }
  const where = conditions.join(' AND ');
  const order = [
    ...list.sort.map(({ field, direction }) => `${column(field)} ${direction === 'desc' ? 'DESC' : 'ASC'}`),
    `${column('id')} ASC`,
  ].join(', ');
  const columns = metadata.columns.map((c) => `"${c.databaseName}"`).join(', ');
  const table = metadata.tablePath;
  const sql = `SELECT (SELECT count(*) FROM ${table} WHERE ${where})::int AS total_count, ${columns}
     FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`;
  // Prepared once per connection when sorted by at most one field: a bounded set of texts (the allowed fields,
  // search or not, the route's filters), where Postgres would otherwise parse and plan the same list every time.
  const name = list.sort.length <= 1 ? statementName(sql) : undefined;
  const rows = await database.rows<Record<string, unknown>>(
    sql,
    [...params, list.limit, (list.page - 1) * list.limit],
    name,
  );
  const toEntity = (row: Record<string, unknown>) => {
    const mapped: Record<string, unknown> = {};
    for (const c of metadata.columns) mapped[c.propertyName] = row[c.databaseName];
    return mapped as T;
  };
  if (rows.length > 0) return [rows.map(toEntity), rows[0]['total_count'] as number];
  if (list.page === 1) return [[], 0];
  const [count] = await database.rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return [[], count?.n ?? 0];
}

const statementNames = new Map<string, string>();
/** A prepared statement's name for a list's SQL text, computed once per text. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `list:${createHash('sha256').update(sql).digest('base64url')}`;
    statementNames.set(sql, name);
  }
  return name;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * TypeORM's insert/update parameter type cannot express `jsonb` columns typed as
 * `Record<string, unknown>`; the entity itself is the row, so this only restates its type.
 */
export const asRow = <T extends ObjectLiteral>(entity: T) => entity as QueryDeepPartialEntity<T>;
