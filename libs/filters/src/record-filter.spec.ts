import { checkRecordFilter, compileRecordFilter, compileStoredFilter } from './record-filter';

describe('record filters', () => {
  const order = { status: 'paid', total: 120, tags: ['vip', 'eu'], customer: { country: 'DE', email: 'a@b.de' } };

  it.each([
    [{ status: 'paid' }, true],
    [{ status: 'pending' }, false],
    [{ total: { $gte: 100 } }, true],
    [{ total: { $lt: 100 } }, false],
    [{ 'customer.country': { $in: ['DE', 'FR'] } }, true],
    [{ tags: 'vip' }, true],
    [{ tags: { $all: ['vip', 'eu'] } }, true],
    [{ $or: [{ status: 'refunded' }, { total: { $gt: 100 } }] }, true],
    [{ $and: [{ status: 'paid' }, { total: { $gt: 500 } }] }, false],
    [{ 'customer.email': { $regex: '@b\\.de$' } }, true],
    [{ 'customer.email': { $regex: '^A@', $options: 'i' } }, true],
    [{ missing: { $exists: false } }, true],
    [{ total: { $not: { $gt: 100 } } }, false],
    [{}, true],
  ])('%j matches the order: %s', (filter, expected) => {
    expect(compileRecordFilter(filter)(order)).toBe(expected);
  });

  it('matches everything without a filter', () => {
    expect(compileRecordFilter(undefined)({})).toBe(true);
    expect(compileRecordFilter(null)({ any: 1 })).toBe(true);
  });

  it.each(['$where', '$function', '$expr', '$mod'])('refuses %s, naming the path and the allowed operators', (op) => {
    const problems = checkRecordFilter({ total: { [op]: 'this.total > 1' } }, ['triggerMetadata', 'filter']);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toEqual(['triggerMetadata', 'filter', 'total', op]);
    expect(problems[0].message).toMatch(new RegExp(`uses \\${op}, which is not allowed \\(allowed operators: \\$eq,`));
    expect(() => compileRecordFilter({ [op]: 'x' })).toThrow(/not allowed/);
  });

  it('matches any regular expression in linear time (RE2), with $options', () => {
    // On a backtracking engine each of these would not return within the test's lifetime.
    for (const pattern of ['^(a+)+$', '^(\\w|\\d)+$', '^((a|aa)+)+$', '(x+x+)+y']) {
      expect(checkRecordFilter({ name: { $regex: pattern } }, ['filter'])).toEqual([]);
      expect(compileRecordFilter({ name: { $regex: pattern } })({ name: `${'a'.repeat(50_000)}!` })).toBe(false);
    }
    expect(compileRecordFilter({ name: { $regex: '^ACME', $options: 'i' } })({ name: 'acme corp' })).toBe(true);
    expect(compileRecordFilter({ tags: { $regex: '^v\\d' } })({ tags: ['x', 'v2'] })).toBe(true);
    expect(compileRecordFilter({ name: { $not: { $regex: '^a' } } })({ name: 'bob' })).toBe(true);
  });

  it('refuses a pattern RE2 cannot run, one that is not a pattern, and one too long', () => {
    expect(checkRecordFilter({ name: { $regex: '^(?=a)' } }, ['filter'])[0].message).toMatch(/no lookaround/);
    expect(checkRecordFilter({ name: { $regex: '(a)\\1' } }, ['filter'])[0].message).toMatch(/not a valid regular/);
    expect(checkRecordFilter({ name: { $regex: '(' } }, ['filter'])[0].message).toMatch(/not a valid regular/);
    expect(checkRecordFilter({ name: { $regex: 'a'.repeat(1100) } }, ['filter'])[0].message).toMatch(/at most 1024/);
    expect(checkRecordFilter({ name: { $regex: 'a', $options: 'g' } }, ['filter'])).not.toEqual([]);
  });

  it('refuses what is not an object, and nesting beyond the limit', () => {
    expect(checkRecordFilter('status = paid', ['filter'])[0].message).toBe(
      'filter must be an object (a MongoDB-style condition)',
    );
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 20; i++) deep = { $and: [deep] };
    expect(checkRecordFilter(deep, ['filter'])[0].message).toMatch(/nested more than 12 levels/);
  });

  it('does not throw on records of an unexpected shape', () => {
    const predicate = compileRecordFilter({ 'a.b.c': { $gt: 1 } });
    expect(predicate(null)).toBe(false);
    expect(predicate({ a: 'text' })).toBe(false);
  });

  it('compiles a stored filter, or one that matches nothing and says why', () => {
    const reasons: string[] = [];
    expect(compileStoredFilter({ status: 'paid' }, (reason) => reasons.push(reason))(order)).toBe(true);
    expect(compileStoredFilter(undefined, (reason) => reasons.push(reason))(order)).toBe(true);
    expect(reasons).toEqual([]);
    const refused = compileStoredFilter({ total: { $where: 'x' } }, (reason) => reasons.push(reason));
    expect(refused(order)).toBe(false);
    expect(refused({})).toBe(false);
    expect(reasons).toHaveLength(1);
  });
});
