import { Injectable } from '@nestjs/common';
import {
  CREDENTIAL_HEADERS,
  type ErrorDetail,
  jsonTextDepth,
  MAX_JSON_DEPTH,
  SignalboxError,
  type TriggerConfigOf,
} from '@signalbox/contracts';
import { UserSchemaCache } from '@signalbox/filters';

/** One inbound request as the HTTP layer hands it over. Webhooks set `path` or `triggerId`; endpoints `path`. */
export interface InboundRequest {
  readonly workspace: string;
  readonly path?: string;
  readonly triggerId?: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly rawBody: Buffer;
  readonly receivedAt: Date;
}

export function normalizeHeaders(headers: InboundRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name)));
}

export function normalizeQuery(query: InboundRequest['query']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.map(String);
  }
  return out;
}

/**
 * JSON when the request says so and parses; otherwise the text. JSON nested deeper than MAX_JSON_DEPTH levels
 * answers 400: it would overflow recursive code further on (the run's storage, the sandbox hand-over).
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (contentType && /\bjson\b/i.test(contentType) && text.length > 0) {
    if (jsonTextDepth(text) > MAX_JSON_DEPTH) {
      const message = `body is nested deeper than ${MAX_JSON_DEPTH} levels`;
      throw new SignalboxError('VALIDATION_ERROR', message, [{ path: ['body'], message }]);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

const MAX_DETAILS = 20;

/**
 * A trigger's `inputSchema` checked against the request body before anything runs: a body that breaks it
 * answers 400 with the first problem ajv finds. Compiled once per trigger version by the user-schema compiler (RE2
 * patterns, bounded `uniqueItems`, nothing shared between schemas or tenants).
 */
@Injectable()
export class InputSchemaCheck {
  private readonly compiled = new UserSchemaCache();

  assertValid(trigger: TriggerConfigOf<'webhook' | 'endpoint'>, body: unknown): void {
    const schema = trigger.triggerMetadata.inputSchema;
    if (typeof schema !== 'object' || schema === null) return;
    const validate = this.compiled.validator(`${trigger.workspaceSlug}:${trigger.id}`, trigger.version, schema);
    if (validate(body)) return;
    const details: ErrorDetail[] = (validate.errors ?? []).slice(0, MAX_DETAILS).map((error) => ({
      path: ['body', ...error.instancePath.split('/').filter(Boolean)],
      message: `body${error.instancePath.replaceAll('/', '.')} ${error.message ?? 'is invalid'}`,
    }));
    throw new SignalboxError(
      'VALIDATION_ERROR',
      `the request body does not match the trigger's inputSchema: ${details[0]?.message ?? 'invalid'}`,
      details,
    );
  }
}
