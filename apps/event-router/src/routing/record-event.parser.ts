import { jsonTextDepth, MAX_JSON_DEPTH, type RecordEvent, RecordEventSchema } from '@signalbox/contracts';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile<RecordEvent>(RecordEventSchema);
const decoder = new TextDecoder('utf-8', { fatal: true });

export type ParseResult =
  { readonly ok: true; readonly event: RecordEvent } | { readonly ok: false; readonly reason: string };

/**
 * Checks one message against the public contract: JSON (nested at most MAX_JSON_DEPTH levels), the schema, and a subject
 * (`records.<workspace>.<recordSlug>.<event>`) that agrees with the body. A failure says why, for the
 * dead-letter message.
 */
export function parseRecordEvent(subject: string, data: Uint8Array): ParseResult {
  let body: unknown;
  try {
    const text = decoder.decode(data);
    if (jsonTextDepth(text) > MAX_JSON_DEPTH)
      return { ok: false, reason: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    body = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!validate(body)) {
    const problems = (validate.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`,
    );
    return { ok: false, reason: `does not match the record-event schema: ${[...new Set(problems)].join('; ')}` };
  }
  const tokens = subject.split('.');
  if (tokens.length !== 4) {
    return { ok: false, reason: `subject must be records.<workspace>.<recordSlug>.<event>, got ${subject}` };
  }
  const [, workspace, recordSlug, event] = tokens;
  for (const [field, fromSubject, fromBody] of [
    ['workspaceSlug', workspace, body.workspaceSlug],
    ['recordSlug', recordSlug, body.recordSlug],
    ['event', event, body.event],
  ] as const) {
    if (fromSubject !== fromBody) {
      return { ok: false, reason: `subject says ${field} "${fromSubject}" but the body says "${fromBody}"` };
    }
  }
  return { ok: true, event: body };
}
