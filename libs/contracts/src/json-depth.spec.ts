import { jsonTextDepth } from './json-depth';

describe('JSON depth', () => {
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('measures the nesting of JSON text, ignoring brackets inside strings', () => {
    for (const [text, depth] of [
      ['1', 0],
      ['{}', 1],
      ['{"a":[1,{"b":"[[[{"}]}', 3],
      [nested(5), 5],
    ] as const) {
      expect(jsonTextDepth(text)).toBe(depth);
    }
    expect(jsonTextDepth('{"a":"\\"[["}')).toBe(1);
  });

  it('scans a million levels without overflowing the stack', () => {
    expect(jsonTextDepth(nested(1_000_000))).toBe(1_000_000);
  });
});
