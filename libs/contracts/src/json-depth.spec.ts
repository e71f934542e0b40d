import { jsonDepth, jsonTextDepth } from './json-depth';

describe('JSON depth', () => {
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('measures values and text alike, ignoring brackets inside strings', () => {
    for (const text of ['1', '{}', '{"a":[1,{"b":"[[[{"}]}', nested(5)]) {
      expect(jsonTextDepth(text)).toBe(jsonDepth(JSON.parse(text)));
    }
    expect(jsonTextDepth('{"a":"\\"[["}')).toBe(1);
  });

  it('walks a million levels without overflowing the stack, and stops counting past the limit', () => {
    const deep = JSON.parse(nested(1_000_000)) as unknown;
    expect(jsonDepth(deep, 100)).toBe(101);
    expect(jsonTextDepth(nested(1_000_000))).toBe(1_000_000);
  });
});
