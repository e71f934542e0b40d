/**
 * What Postgres refuses in text and jsonb: U+0000, and UTF-16 surrogates that are not half of a pair (`jsonb`
 * rejects `\u0000` and a lone `\ud800`; `text` rejects a NUL byte). One such character in one tenant's value
 * used to fail a statement that several tenants' rows shared. Values from outside (webhook bodies, queries and
 * headers, function results, logs, step outputs, receivers' answers, polled items) are written through these,
 * so each is stored with U+FFFD in place of what the database cannot hold. What a caller of the management
 * API sends is refused instead (`findInputProblem`), so that it learns.
 */
const REPLACEMENT = '\ufffd';

/** In a string: a NUL, a high surrogate not followed by a low one, a low one not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- finding U+0000 is the point
const UNSTORABLE_CHARS = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * In JSON text made by `JSON.stringify` (which escapes NUL as `\u0000` and a lone surrogate as `\udXXX`, and
 * writes paired surrogates as they are): such an escape that is not itself escaped (preceded by an even number
 * of backslashes). Linear: a run of backslashes is consumed once, from its start.
 */
const UNSTORABLE_ESCAPES = /(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}|[dD][c-fC-F][0-9a-fA-F]{2})/g;

export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(UNSTORABLE_CHARS, REPLACEMENT);
}

/** `JSON.stringify(value)`, with what Postgres refuses replaced by U+FFFD (in keys too). */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value === undefined ? null : value);
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPES, `$1${REPLACEMENT}`) : json;
}

/**
 * The path of the first string (or key) in `value` that Postgres cannot store, or null. Walks without
 * recursion, so a deeply nested body cannot overflow the stack.
 */
export function findUnstorable(value: unknown): Array<string | number> | null {
  const found = findInputProblem(value, Infinity);
  return found?.problem === 'character' ? found.path : null;
}

/** What `findInputProblem` found, and where. */
export interface InputProblem {
  readonly problem: 'character' | 'depth';
  readonly path: Array<string | number>;
}

/**
 * In one walk (no recursion): the first string or key Postgres cannot store, or the first value nested deeper
 * than `maxDepth` levels (a scalar is 0, `[]` is 1), or null.
 */
export function findInputProblem(value: unknown, maxDepth: number): InputProblem | null {
  // Each entry knows its parent, so a path is built only for the place that is reported.
  interface Entry {
    readonly value: unknown;
    readonly key: string | number | null;
    readonly parent: Entry | null;
    readonly depth: number;
  }
  const pathOf = (entry: Entry, last?: string): Array<string | number> => {
    const path: Array<string | number> = last === undefined ? [] : [last];
    for (let at: Entry | null = entry; at && at.key !== null; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Entry[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const current = entry.value;
    if (typeof current === 'string') {
      if (hasUnstorable(current)) return { problem: 'character', path: pathOf(entry) };
    } else if (current !== null && typeof current === 'object') {
      const depth = entry.depth + 1;
      if (depth > maxDepth) return { problem: 'depth', path: pathOf(entry) };
      if (Array.isArray(current)) {
        for (let index = current.length - 1; index >= 0; index--) {
          stack.push({ value: current[index], key: index, parent: entry, depth });
        }
      } else {
        for (const [key, item] of Object.entries(current).reverse()) {
          if (hasUnstorable(key)) return { problem: 'character', path: pathOf(entry, key) };
          stack.push({ value: item, key, parent: entry, depth });
        }
      }
    }
  }
  return null;
}

function hasUnstorable(text: string): boolean {
  UNSTORABLE_CHARS.lastIndex = 0;
  return UNSTORABLE_CHARS.test(text);
}
