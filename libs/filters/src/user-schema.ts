import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

import { compileUserRegex } from './user-regex';

/**
 * JSON Schemas from users (a trigger's `inputSchema`), checked in shared processes against bodies anyone
 * may send. Each schema is compiled by an Ajv of its own: nothing is registered where another schema (of
 * another tenant) could see it, a `$id` is private to its schema, a `$ref` resolves only inside it, and a
 * compiled schema is garbage once its cache entry goes. `pattern` and `patternProperties` run on RE2 (linear
 * time); `uniqueItems` (quadratic in ajv for objects) holds at most MAX_UNIQUE_ITEMS items; a body is
 * answered with its first problem.
 */
export const MAX_UNIQUE_ITEMS = 1000;
export const MAX_SCHEMA_DEPTH = 32;

/** Ajv's engine option: the pattern in RE2, with ajv's flags (`u`). */
const re2Engine = Object.assign((pattern: string, flags: string) => compileUserRegex(pattern, flags), {
  code: 'compileUserRegex',
});

/** Keywords whose values are data, not subschemas: left as they are. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

export class UserSchemaError extends Error {
  override readonly name = 'UserSchemaError';
}

/** Compiles a user's JSON Schema; throws UserSchemaError naming what is wrong. */
export function compileUserSchema(schema: unknown): ValidateFunction {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new UserSchemaError('must be a JSON Schema object');
  }
  // allErrors off: checking stops at the first failure, so a `maxItems` that fails spares the `uniqueItems`
  // after it (with allErrors, ajv runs every keyword, the quadratic one included).
  const ajv = new Ajv({ allErrors: false, strict: false, code: { regExp: re2Engine } });
  addFormats(ajv);
  try {
    return ajv.compile(bounded(schema as Record<string, unknown>));
  } catch (error) {
    throw new UserSchemaError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * A copy of the schema where every `uniqueItems: true` has a `maxItems` of at most MAX_UNIQUE_ITEMS (a larger
 * array then fails `maxItems` before the quadratic check runs); refuses nesting beyond MAX_SCHEMA_DEPTH.
 * Walks without recursion.
 */
function bounded(schema: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = { ...schema };
  const stack: Array<{ node: Record<string, unknown> | unknown[]; depth: number }> = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_SCHEMA_DEPTH) throw new UserSchemaError(`is nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
    for (const [key, value] of entries) {
      if (typeof value !== 'object' || value === null) continue;
      if (!Array.isArray(node) && DATA_KEYWORDS.has(key as string)) continue; // values, not schemas
      const copy = Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
      (node as Record<string | number, unknown>)[key] = copy;
      stack.push({ node: copy, depth: depth + 1 });
    }
    if (!Array.isArray(node) && node['uniqueItems'] === true) {
      const max = typeof node['maxItems'] === 'number' ? node['maxItems'] : Infinity;
      node['maxItems'] = Math.min(max, MAX_UNIQUE_ITEMS);
    }
  }
  return root;
}

/**
 * Compiled user schemas, one per key (a workspace's trigger) for its current version: a new version replaces
 * the old one. Least recently used out first, bounded in entries and in the schemas' size (a compiled schema
 * costs tens of times its JSON: 1 MB of schemas is about 35 MB of heap), so a tenant saving schemas in a loop
 * cannot grow a shared process.
 */
export class UserSchemaCache {
  private readonly entries = new Map<
    string,
    { readonly version: number; readonly validate: ValidateFunction; readonly bytes: number }
  >();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 200,
    private readonly maxBytes = 1024 * 1024,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  validator(key: string, version: number, schema: unknown): ValidateFunction {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      if (hit.version === version) {
        this.entries.set(key, hit);
        return hit.validate;
      }
      this.bytes -= hit.bytes;
    }
    const validate = compileUserSchema(schema);
    const bytes = JSON.stringify(schema).length;
    this.entries.set(key, { version, validate, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && (this.bytes <= this.maxBytes || this.entries.size === 1)) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return validate;
  }
}
