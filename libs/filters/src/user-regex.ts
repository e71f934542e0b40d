import { RE2JS } from 're2js';

/**
 * Regular expressions from users (filters' `$regex`, JSON Schema `pattern` and `patternProperties`) run on
 * RE2 (`re2js`, the JavaScript port of Google's RE2): matching takes time linear in the input whatever the
 * pattern, so no pattern can hold a shared process. The price is RE2's syntax: no lookaround, no
 * backreferences; such a pattern is refused when it is saved.
 */
export const MAX_USER_REGEX_LENGTH = 1024;

export interface UserRegex {
  test(input: string): boolean;
}

export class UserRegexError extends Error {
  override readonly name = 'UserRegexError';
}

const FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 matches code points anyway
};

/** Compiles a pattern in JavaScript syntax with flags `i`, `m`, `s` (and `u`); throws UserRegexError. */
export function compileUserRegex(source: string, flags = ''): UserRegex {
  if (source.length > MAX_USER_REGEX_LENGTH) {
    throw new UserRegexError(`the pattern is longer than ${MAX_USER_REGEX_LENGTH} characters`);
  }
  let mask = 0;
  for (const flag of flags) {
    if (!(flag in FLAGS)) throw new UserRegexError(`the flag "${flag}" is not supported (use i, m or s)`);
    mask |= FLAGS[flag];
  }
  try {
    const regex = RE2JS.compile(RE2JS.translateRegExp(source), mask);
    return { test: (input) => regex.test(input) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new UserRegexError(
      `the pattern cannot be used: ${reason} (patterns are RE2: no lookaround, no backreferences)`,
    );
  }
}
