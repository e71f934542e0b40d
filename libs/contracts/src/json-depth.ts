/**
 * How deep JSON may nest anywhere in the platform: a value from outside (a request body, a record event, a
 * webhook, a polled item) or from user code (a result, a step output, a log line). Deeper values overflow
 * recursive code on the way (structured clone between processes, JSON.stringify, Postgres's jsonb parser), so
 * they are refused where they enter, with an error that names the limit.
 */
export const MAX_JSON_DEPTH = 100;

/** The nesting depth of JSON text, by one linear scan (brackets inside strings do not count). */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
