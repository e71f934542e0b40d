import { type ExecutionType, type Signalbox, SignalboxError } from '@signalbox/sdk';

/** The data of a raw client call (`client.api.GET/PUT/...`), or the API's refusal as a `SignalboxError`. */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw SignalboxError.fromAnswer(response, error);
  return data;
}

/** The six execution types, in the API's order. */
export const EXECUTION_TYPES: readonly ExecutionType[] = [
  'on-demand',
  'event-driven',
  'scheduled',
  'webhook',
  'endpoint',
  'polling',
];

/** The `sort` of a list route: by name, A to Z. */
export const BY_NAME = JSON.stringify([{ field: 'name', direction: 'asc' }]);

/** The workspace's functions by name (up to 500), for the pages' function pickers and filters. */
export async function listFunctions(client: Signalbox, signal?: AbortSignal) {
  const data = await answer(
    client.api.GET('/workspace/{workspace}/api/v1/compute-functions', {
      params: { path: { workspace: client.workspace }, query: { limit: 500, sort: BY_NAME } },
      signal,
    }),
  );
  return data.functions;
}
