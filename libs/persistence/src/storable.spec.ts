import { findInputProblem, findUnstorable, storableJson, storableText } from './storable';

describe('storable values', () => {
  const poison = ['\u0000', '\ud800', '\udfff', 'a\ud83d', '\ude00b'];

  it('replaces NUL and lone surrogates in text, and keeps pairs', () => {
    expect(storableText('ok\u0000')).toBe('ok\ufffd');
    expect(storableText('\ud800x\udc00')).toBe('\ufffdx\ufffd');
    expect(storableText('emoji \ud83d\ude00 stays')).toBe('emoji \ud83d\ude00 stays');
    expect(storableText(null)).toBeNull();
  });

  it('replaces them in JSON values at any depth and in keys, and nothing else', () => {
    for (const bad of poison) {
      const json = storableJson({ deep: [{ [`k${bad}`]: `v${bad}` }], fine: 'x' });
      expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/i);
      expect(JSON.parse(json)).toEqual({
        deep: [{ [`k${storableText(bad)}`]: `v${storableText(bad)}` }],
        fine: 'x',
      });
    }
    const escaped = { text: '\\u0000 is how JSON writes NUL', emoji: '\ud83d\ude00', slashes: '\\\\\u0000' };
    expect(JSON.parse(storableJson(escaped))).toEqual({ ...escaped, slashes: '\\\\\ufffd' });
    expect(storableJson(undefined)).toBe('null');
  });

  it('finds the path of the first unstorable string or key, without recursion', () => {
    expect(findUnstorable({ a: [1, 'ok', { b: 'x\u0000' }] })).toEqual(['a', 2, 'b']);
    expect(findUnstorable({ ['k\ud800']: 1 })).toEqual(['k\ud800']);
    expect(findUnstorable({ a: 'fine \ud83d\ude00', n: 1, z: null })).toBeNull();
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorable(deep)).toHaveLength(100_000);
  });

  it('finds, in the same walk, a value nested deeper than the limit (a million levels, without recursion)', () => {
    const deep = JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000)) as unknown;
    expect(findInputProblem(deep, 100)).toEqual({ problem: 'depth', path: Array(100).fill(0) });
    expect(findInputProblem({ a: [[1]] }, 3)).toBeNull();
    expect(findInputProblem({ a: ['x\u0000'] }, 3)).toEqual({ problem: 'character', path: ['a', 0] });
  });
});
