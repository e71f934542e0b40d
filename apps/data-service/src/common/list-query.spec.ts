import { parseListQuery } from './list-query';

const allowed = { search: ['name', 'description'], sort: ['name', 'createdAt'] };

describe('parseListQuery', () => {
  it('defaults to newest first, searching by name', () => {
    expect(parseListQuery({ limit: 500, page: 1, search: 'exp' }, allowed)).toEqual({
      search: { field: 'name', term: 'exp' },
      sort: [{ field: 'createdAt', direction: 'desc' }],
      limit: 500,
      page: 1,
    });
  });

  it('reads a JSON sort array', () => {
    const sut = parseListQuery(
      { limit: 10, page: 2, sort: '[{"field":"name","direction":"asc"},{"field":"createdAt","direction":"desc"}]' },
      allowed,
    );
    expect(sut.sort).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'createdAt', direction: 'desc' },
    ]);
  });

  it.each([
    ['not json', 'sort must be a JSON array'],
    ['[{"field":"secret"}]', 'sort[0].field must be one of name, createdAt'],
    ['[{"field":"name","direction":"up"}]', 'sort[0].direction must be asc or desc'],
  ])('refuses sort=%s', (sort, message) => {
    expect(() => parseListQuery({ limit: 10, page: 1, sort }, allowed)).toThrow(message);
  });

  it('refuses an unknown search field', () => {
    expect(() => parseListQuery({ limit: 10, page: 1, search: 'x', searchField: 'code' }, allowed)).toThrow(
      'searchField must be one of name, description',
    );
  });
});
