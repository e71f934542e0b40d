import type { ErrorDetail } from '@signalbox/contracts';
import {
  $all,
  $and,
  $elemMatch,
  $eq,
  $exists,
  $gt,
  $gte,
  $in,
  $lt,
  $lte,
  $ne,
  $nin,
  $nor,
  $not,
  $options,
  $or,
  $size,
  $type,
  createEqualsOperation,
  createQueryTester,
} from 'sift';

import { compileUserRegex, MAX_USER_REGEX_LENGTH, UserRegexError } from './user-regex';

/** `$regex` on RE2 (linear time), with `$options` i, m, s: never JavaScript's backtracking engine. */
const $regex = (
  pattern: string,
  ownerQuery: Record<string, unknown>,
  options: Parameters<typeof createEqualsOperation>[2],
) => {
  const flags = typeof ownerQuery['$options'] === 'string' ? ownerQuery['$options'] : '';
  const regex = compileUserRegex(String(pattern), flags);
  return createEqualsOperation((value: unknown) => typeof value === 'string' && regex.test(value), ownerQuery, options);
};

/**
 * Record filters: a MongoDB-style condition over a record's data, used by event-driven triggers
 * (`triggerMetadata.filter`) and outbound webhook subscriptions (`filters.query`). Comparisons and logic
 * only: no operator evaluates code (`$where`, `$function`, `$expr` are refused), and a regular expression
 * runs on RE2 (linear time in the input, `user-regex.ts`), because filters run in shared processes (the
 * router for every event, the gateway for every webhook).
 */
const OPERATIONS = {
  $eq,
  $ne,
  $gt,
  $gte,
  $lt,
  $lte,
  $in,
  $nin,
  $exists,
  $type,
  $size,
  $all,
  $elemMatch,
  $regex,
  $options,
  $not,
  $and,
  $or,
  $nor,
};

export const FILTER_OPERATORS: readonly string[] = Object.keys(OPERATIONS);
export const MAX_FILTER_REGEX_LENGTH = MAX_USER_REGEX_LENGTH;
export const MAX_FILTER_DEPTH = 12;
export const MAX_FILTER_BYTES = 16 * 1024;

export type RecordFilter = Record<string, unknown>;
export type RecordPredicate = (record: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every problem of a filter, with its path under `basePath` (for the error envelope's `details`).
 * An empty list means `compileRecordFilter` accepts it.
 */
export function checkRecordFilter(filter: unknown, basePath: ReadonlyArray<string | number>): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const name = basePath.join('.');
  if (!isObject(filter)) {
    return [{ path: [...basePath], message: `${name} must be an object (a MongoDB-style condition)` }];
  }
  if (JSON.stringify(filter).length > MAX_FILTER_BYTES) {
    return [{ path: [...basePath], message: `${name} must be at most ${MAX_FILTER_BYTES} bytes of JSON` }];
  }
  const visit = (value: unknown, path: Array<string | number>, depth: number): void => {
    if (depth > MAX_FILTER_DEPTH) {
      problems.push({ path, message: `${name} is nested more than ${MAX_FILTER_DEPTH} levels deep` });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index], depth + 1));
      return;
    }
    if (!isObject(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      const at = [...path, key];
      if (key.startsWith('$') && !FILTER_OPERATORS.includes(key)) {
        problems.push({
          path: at,
          message: `${at.join('.')} uses ${key}, which is not allowed (allowed operators: ${FILTER_OPERATORS.join(', ')})`,
        });
      }
      if (key === '$regex') checkRegex(inner, at, problems);
      visit(inner, at, depth + 1);
    }
  };
  visit(filter, [...basePath], 0);
  if (problems.length === 0) {
    try {
      compile(filter);
    } catch (error) {
      problems.push({ path: [...basePath], message: `${name} is not a valid condition: ${messageOf(error)}` });
    }
  }
  return problems;
}

function checkRegex(value: unknown, path: Array<string | number>, problems: ErrorDetail[]): void {
  const source = value instanceof RegExp ? value.source : value;
  if (typeof source !== 'string') {
    problems.push({ path, message: `${path.join('.')} must be a string` });
    return;
  }
  if (source.length > MAX_FILTER_REGEX_LENGTH) {
    problems.push({ path, message: `${path.join('.')} must be at most ${MAX_FILTER_REGEX_LENGTH} characters` });
    return;
  }
  try {
    compileUserRegex(source);
  } catch (error) {
    const reason = error instanceof UserRegexError ? error.message : String(error);
    problems.push({ path, message: `${path.join('.')} is not a valid regular expression: ${reason}` });
  }
}

function compile(filter: RecordFilter): RecordPredicate {
  return createQueryTester(filter, { operations: OPERATIONS }) as RecordPredicate;
}

/**
 * A predicate for a filter that `checkRecordFilter` accepts. Throws with the first problem otherwise, so
 * a filter that bypassed the API's validation (an old config, a hand-edited KV entry) never runs unchecked.
 * No filter (undefined or null) matches everything.
 */
export function compileRecordFilter(filter: unknown): RecordPredicate {
  if (filter === undefined || filter === null) return () => true;
  const problems = checkRecordFilter(filter, ['filter']);
  if (problems.length > 0) throw new Error(problems[0].message);
  const predicate = compile(filter as RecordFilter);
  return (record) => {
    try {
      return predicate(record);
    } catch {
      return false;
    }
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A stored filter's predicate, for the execution plane. data-service validated the filter; one that still fails
 * here (an old config, a hand-edited KV entry) matches nothing rather than everything, and `refused` hears why.
 */
export function compileStoredFilter(filter: unknown, refused: (reason: string) => void): RecordPredicate {
  try {
    return compileRecordFilter(filter);
  } catch (error) {
    refused(error instanceof Error ? error.message : String(error));
    return () => false;
  }
}
