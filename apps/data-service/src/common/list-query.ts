import { type ListQuery, SignalboxError, type SortField } from '@signalbox/contracts';

export interface ParsedListQuery {
  readonly search?: { readonly field: string; readonly term: string };
  readonly sort: readonly SortField[];
  readonly limit: number;
  readonly page: number;
}

/** Checks `searchField` and `sort` against the fields a resource allows; unknown ones answer 400. */
export function parseListQuery(
  query: ListQuery,
  allowed: { readonly search: readonly string[]; readonly sort: readonly string[] },
): ParsedListQuery {
  const searchField = query.searchField ?? 'name';
  if (!allowed.search.includes(searchField)) {
    throw new SignalboxError('VALIDATION_ERROR', `searchField must be one of ${allowed.search.join(', ')}`, [
      { path: ['searchField'], message: `unknown field ${searchField}` },
    ]);
  }
  return {
    ...(query.search ? { search: { field: searchField, term: query.search } } : {}),
    sort: parseSort(query.sort, allowed.sort),
    limit: query.limit,
    page: query.page,
  };
}

function parseSort(raw: string | undefined, allowed: readonly string[]): SortField[] {
  if (raw === undefined || raw === '') return [{ field: 'createdAt', direction: 'desc' }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw sortError('sort must be a JSON array such as [{"field":"createdAt","direction":"desc"}]');
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.map((item: unknown, index) => {
    const entry = item as { field?: unknown; direction?: unknown } | null;
    if (typeof entry?.field !== 'string' || !allowed.includes(entry.field)) {
      throw sortError(`sort[${index}].field must be one of ${allowed.join(', ')}`);
    }
    const direction = entry.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') throw sortError(`sort[${index}].direction must be asc or desc`);
    return { field: entry.field, direction };
  });
}

const sortError = (message: string) => new SignalboxError('VALIDATION_ERROR', message, [{ path: ['sort'], message }]);
