import { compileUserSchema, MAX_UNIQUE_ITEMS, UserSchemaCache, UserSchemaError } from './user-schema';

describe('compileUserSchema', () => {
  it('matches pattern and patternProperties in linear time (RE2)', () => {
    const validate = compileUserSchema({
      type: 'object',
      properties: { name: { type: 'string', pattern: '^(a+)+$' } },
      patternProperties: { '^(\\w|\\d)+$': { type: 'number' } },
    });
    // On a backtracking engine this would not return within the test's lifetime.
    expect(validate({ name: `${'a'.repeat(50_000)}!` })).toBe(false);
    expect(validate({ name: 'aaa' })).toBe(true);
    expect(validate({ name: 'aaa', [`${'a1'.repeat(20_000)}!`]: 'x' })).toBe(true);
  });

  it('refuses a pattern RE2 cannot run', () => {
    expect(() => compileUserSchema({ type: 'string', pattern: '^(?=a)' })).toThrow(UserSchemaError);
    expect(() => compileUserSchema({ type: 'string', pattern: '(a)\\1' })).toThrow(/no lookaround, no backreferences/);
  });

  it('bounds uniqueItems, and leaves data keywords alone', () => {
    const validate = compileUserSchema({ type: 'array', uniqueItems: true, default: [{ uniqueItems: true }] });
    expect(validate(Array.from({ length: MAX_UNIQUE_ITEMS }, (_, i) => ({ i })))).toBe(true);
    expect(validate(Array.from({ length: MAX_UNIQUE_ITEMS + 1 }, (_, i) => ({ i })))).toBe(false);
    expect(validate.errors?.map((error) => error.keyword)).toEqual(['maxItems']);
    // One check of a large array, not quadratic: on ajv's unbounded uniqueItems this would not return.
    expect(validate(Array.from({ length: 200_000 }, (_, i) => ({ i })))).toBe(false);
    expect(validate([{ a: 1 }, { a: 1 }])).toBe(false);
    expect(compileUserSchema({ type: 'array', uniqueItems: true, maxItems: 5 })([1, 2, 3, 4, 5, 6])).toBe(false);
  });

  it('keeps each schema to itself: the same $id twice, and no $ref into another schema', () => {
    const id = 'https://schemas.example.com/order.json';
    const first = compileUserSchema({ $id: id, type: 'object', required: ['a'] });
    const second = compileUserSchema({ $id: id, type: 'object', required: ['b'] });
    expect(first({ a: 1 })).toBe(true);
    expect(second({ a: 1 })).toBe(false);
    expect(() => compileUserSchema({ $ref: id })).toThrow(UserSchemaError);
  });

  it('refuses nesting beyond the limit, without recursion', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 10_000; i++) deep = { items: deep };
    expect(() => compileUserSchema(deep)).toThrow(/nested more than/);
  });
});

describe('UserSchemaCache', () => {
  it('compiles once per version, replaces an old version, and drops the least recently used beyond its bounds', () => {
    const cache = new UserSchemaCache(2, 1_000_000);
    const a = cache.validator('a', 1, { type: 'string' });
    expect(cache.validator('a', 1, { type: 'number' })).toBe(a);
    const a2 = cache.validator('a', 2, { type: 'number' });
    expect(a2).not.toBe(a);
    expect(a2(1)).toBe(true);
    cache.validator('b', 1, { type: 'string' });
    cache.validator('a', 2, {});
    cache.validator('c', 1, { type: 'string' });
    expect(cache.size).toBe(2);
    expect(cache.validator('a', 2, { type: 'string' })).toBe(a2); // 'b' went, not 'a'
    const small = new UserSchemaCache(100, 50);
    small.validator('x', 1, { type: 'object', description: 'x'.repeat(40) });
    small.validator('y', 1, { type: 'object', description: 'y'.repeat(40) });
    expect(small.size).toBe(1);
  });
});
