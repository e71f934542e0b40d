import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

import type { ParsedListQuery } from './list-query';

const escapeLike = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Applies search, sort and paging (already checked against the resource's allowed fields) to a query
 * that is already scoped by workspace. Returns the page and the total.
 */
export async function listPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  list: ParsedListQuery,
): Promise<[T[], number]> {
  if (list.search) {
    query.andWhere(`CAST(${alias}.${list.search.field} AS text) ILIKE :term ESCAPE '\\'`, {
      term: `%${escapeLike(list.search.term)}%`,
    });
  }
  for (const { field, direction } of list.sort) {
    query.addOrderBy(`${alias}.${field}`, direction === 'desc' ? 'DESC' : 'ASC');
  }
  query.addOrderBy(`${alias}.id`, 'ASC');
  return query
    .skip((list.page - 1) * list.limit)
    .take(list.limit)
    .getManyAndCount();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * TypeORM's insert/update parameter type cannot express `jsonb` columns typed as
 * `Record<string, unknown>`; the entity itself is the row, so this only restates its type.
 */
export const asRow = <T extends ObjectLiteral>(entity: T) => entity as QueryDeepPartialEntity<T>;
