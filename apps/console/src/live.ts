import { type LiveEvent, type LiveTopic, type Signalbox, SignalboxError } from '@signalbox/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** At most one refetch per this long, however many changes arrive. */
const DEBOUNCE_MS = 250;

export interface LiveHandlers {
  /** The stream is open; `reconnected` after it was lost, when what happened meanwhile was missed. */
  readonly onOpen: (reconnected: boolean) => void;
  readonly onEvent: (event: LiveEvent) => void;
  readonly onState: (state: LiveState) => void;
  /** The API refused the stream (4xx other than 429): no more tries. Without it, a refusal is tried again. */
  readonly onRefused?: (error: SignalboxError) => void;
}

/**
 * Follows the workspace's live stream (`GET /live?topics=...`) until `signal` aborts: reconnects with a growing
 * pause (1 s up to 30 s). The stream does not replay what happened while it was closed: `onOpen(true)` says so.
 */
export async function followLive(
  client: Signalbox,
  topics: LiveTopic[],
  signal: AbortSignal,
  handlers: LiveHandlers,
): Promise<void> {
  let pause = 1000;
  let first = true;
  while (!signal.aborted) {
    try {
      const events = await client.live.open({ topics, signal });
      handlers.onState('live');
      pause = 1000;
      handlers.onOpen(!first);
      first = false;
      for await (const event of events) handlers.onEvent(event);
    } catch (error) {
      const refused = error instanceof SignalboxError && error.status >= 400 && error.status < 500;
      if (!signal.aborted && refused && error.status !== 429 && handlers.onRefused) {
        handlers.onRefused(error);
        return;
      }
      // closed, unreachable or refused for now: try again below
    }
    if (signal.aborted) return;
    handlers.onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(30_000, pause * 2);
  }
}

/**
 * Refetches the queries a live event makes stale, at most once per 250 ms: `keysOf(event)` names them (none: the
 * event is not for this page); after a reconnect, `all` are refetched.
 */
export function useLiveRefetch(
  client: Signalbox,
  topics: LiveTopic[],
  keysOf: (event: LiveEvent) => readonly (readonly unknown[])[],
  all: readonly (readonly unknown[])[],
): LiveState {
  const queries = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  const topicsKey = topics.join(',');
  // Read when an event arrives, so that new closures each render do not reopen the stream.
  const latest = useRef({ keysOf, all });
  latest.current = { keysOf, all };

  useEffect(() => {
    const stop = new AbortController();
    const stale = new Map<string, readonly unknown[]>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const mark = (keys: readonly (readonly unknown[])[]) => {
      for (const key of keys) stale.set(JSON.stringify(key), key);
      if (stale.size > 0) timer ??= setTimeout(flush, DEBOUNCE_MS);
    };
    const flush = () => {
      timer = undefined;
      for (const key of stale.values()) void queries.invalidateQueries({ queryKey: key });
      stale.clear();
    };
    void followLive(client, topicsKey.split(',') as LiveTopic[], stop.signal, {
      onOpen: (reconnected) => reconnected && mark(latest.current.all),
      onEvent: (event) => mark(latest.current.keysOf(event)),
      onState: setState,
    });
    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
    };
  }, [client, queries, topicsKey]);

  return state;
}

/**
 * The runs pages' live view: a change refetches the runs lists and the changed run (with its logs); a reconnect
 * refetches every run.
 */
export function useLiveRuns(client: Signalbox): LiveState {
  const workspace = client.workspace;
  return useLiveRefetch(
    client,
    ['run'],
    (event) =>
      event.type === 'run'
        ? [
            ['runs', workspace],
            ['run', workspace, event.jobId],
            ['logs', workspace, event.jobId],
          ]
        : [],
    [
      ['runs', workspace],
      ['run', workspace],
      ['logs', workspace],
    ],
  );
}
