import type { ExecutionType, Signalbox } from '@signalbox/sdk';

import { answer, EXECUTION_TYPES } from '../../api';

export function isExecutionType(value: string | null | undefined): value is ExecutionType {
  return EXECUTION_TYPES.some((type) => type === value);
}

/** A `triggerMetadata` to start from, per type: the required fields and a few useful optional ones. */
const STARTERS: Record<ExecutionType, unknown> = {
  'on-demand': { params: {}, inputSchema: { type: 'object' } },
  'event-driven': { event: 'record_created', recordSlug: 'orders', params: {} },
  scheduled: { cron: '*/5 * * * *', timezone: 'UTC', catchUp: 'none', overlap: 'allow', params: {} },
  webhook: { path: '/my-webhook', params: { provider: 'hmac-sha256', validateSignature: false } },
  endpoint: { path: '/my-endpoint', method: 'POST', timeoutMs: 10000, params: {} },
  polling: { url: 'https://example.com/api/items', interval: 60, itemsPath: 'items', idField: 'id', params: {} },
};

export function starterMetadata(type: ExecutionType): string {
  return JSON.stringify(STARTERS[type], null, 2);
}

/** True while `text` is still one of the starters (so a change of type may replace it). */
export function isStarter(text: string): boolean {
  return text.trim() === '' || text.trim() === '{}' || EXECUTION_TYPES.some((type) => starterMetadata(type) === text);
}

/** A sealed secret as the API answers it: `{"value": "<ciphertext>", "encrypted": true, "keyVersion": n}`. */
function isSealed(value: unknown): value is { encrypted: true; keyVersion: number } {
  return typeof value === 'object' && value !== null && (value as { encrypted?: unknown }).encrypted === true;
}

/** For reading: every sealed secret replaced by a short mark, so no ciphertext clutters the page. */
export function maskSealed(value: unknown): unknown {
  if (isSealed(value)) return `(sealed secret, key v${value.keyVersion})`;
  if (Array.isArray(value)) return value.map(maskSealed);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskSealed(inner)]));
  }
  return value;
}

/** For a copy into a draft: sealed secrets are bound to this trigger's id and cannot open elsewhere; left out. */
export function withoutSealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((inner) => !isSealed(inner)).map(withoutSealed);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => !isSealed(inner))
        .map(([key, inner]) => [key, withoutSealed(inner)]),
    );
  }
  return value;
}

/** Whether `value` holds a sealed secret anywhere. */
export function hasSealed(value: unknown): boolean {
  if (isSealed(value)) return true;
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasSealed);
  return false;
}

const GATEWAY_KEY = 'signalbox.gatewayOrigin';

/**
 * The webhook gateway's origin. The API does not say where the gateway is published, so the console guesses the
 * development default (this host, port 3001) until the user types the real one, which this tab's browser keeps.
 */
export function gatewayOrigin(): string {
  try {
    const stored = localStorage.getItem(GATEWAY_KEY);
    if (stored) return stored;
  } catch {
    // storage refused (private mode): the guess below
  }
  return `${location.protocol}//${location.hostname}:3001`;
}

export function rememberGatewayOrigin(origin: string): void {
  try {
    localStorage.setItem(GATEWAY_KEY, origin);
  } catch {
    // storage refused: the origin holds for this page only
  }
}

/** The functions of the workspace (for the function selects), by name. */
export async function listDrafts(client: Signalbox, signal?: AbortSignal) {
  return answer(
    client.api.GET('/workspace/{workspace}/api/v1/function-triggers/drafts', {
      params: {
        path: { workspace: client.workspace },
        query: { limit: 100, sort: JSON.stringify([{ field: 'updatedAt', direction: 'desc' }]) },
      },
      signal,
    }),
  );
}

export type TriggerDraft = Awaited<ReturnType<typeof listDrafts>>['drafts'][number];
