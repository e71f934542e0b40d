import type { LiveEvent, LiveTopic, Signalbox } from '@signalbox/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** At most one refetch per this long, however many changes arrive. */
const DEBOUNCE_MS = 250;

export interface LiveHandlers {
  /** The stream is open; `reconnected` after it was lost, when what happened meanwhile was missed. */
  readonly onOpen: (reconnected: boolean) => void;
  readonly onEvent: (event: LiveEvent) => void;
  readonly onState: (state: LiveState) => void;
}

/**
 * Follows the workspace's live stream (`GET /live`; `topics` by default all the caller may read) until `signal`
 * aborts: reconnects with a growing pause (1 s up to 30 s). The stream does not replay what happened while it
 * was closed: `onOpen(true)` says so.
 */
async function followLive(
  client: Signalbox,
  topics: readonly LiveTopic[] | undefined,
  signal: AbortSignal,
  handlers: LiveHandlers,
): Promise<void> {
  let pause = 1000;
  let first = true;
  while (!signal.aborted) {
    try {
      const events = await client.live.open({ ...(topics ? { topics } : {}), signal });
      handlers.onState('live');
      pause = 1000;
      handlers.onOpen(!first);
      first = false;
      for await (const event of events) handlers.onEvent(event);
    } catch {
      // closed, unreachable or refused: try again below
    }
    if (signal.aborted) return;
    handlers.onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(30_000, pause * 2);
  }
}

interface Listener {
  readonly onEvent: (event: LiveEvent) => void;
  readonly onReconnect: () => void;
}

interface Live {
  readonly state: LiveState;
  readonly listeners: Set<Listener>;
}

const LiveContext = createContext<Live | null>(null);

/**
 * One live stream per tab, of every topic the caller may read, shared by the pages (a browser gives an origin
 * six HTTP/1.1 connections: a stream per page and per tab would soon hold them all).
 */
export function LiveProvider({ client, children }: { client: Signalbox; children: ReactNode }) {
  const [state, setState] = useState<LiveState>('connecting');
  const listeners = useMemo(() => new Set<Listener>(), []);
  useEffect(() => {
    const stop = new AbortController();
    setState('connecting');
    void followLive(client, undefined, stop.signal, {
      onOpen: (reconnected) => {
        if (reconnected) for (const listener of listeners) listener.onReconnect();
      },
      onEvent: (event) => {
        for (const listener of listeners) listener.onEvent(event);
      },
      onState: setState,
    });
    return () => stop.abort();
  }, [client, listeners]);
  const live = useMemo(() => ({ state, listeners }), [state, listeners]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

/** The shared stream's state, and `onEvent` / `onReconnect` called while the component is mounted. */
export function useLive(onEvent: (event: LiveEvent) => void, onReconnect: () => void = () => undefined): LiveState {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside LiveProvider');
  // Called through a ref, so that new closures each render neither resubscribe nor go stale.
  const latest = useRef({ onEvent, onReconnect });
  latest.current = { onEvent, onReconnect };
  useEffect(() => {
    const listener: Listener = {
      onEvent: (event) => latest.current.onEvent(event),
      onReconnect: () => latest.current.onReconnect(),
    };
    live.listeners.add(listener);
    return () => {
      live.listeners.delete(listener);
    };
  }, [live.listeners]);
  return live.state;
}

/**
 * Refetches the queries a live event makes stale, at most once per 250 ms: `keysOf(event)` names them (none: the
 * event is not for this page); after a reconnect, `all` are refetched.
 */
export function useLiveRefetch(
  keysOf: (event: LiveEvent) => readonly (readonly unknown[])[],
  all: readonly (readonly unknown[])[],
): LiveState {
  const queries = useQueryClient();
  const stale = useRef(new Map<string, readonly unknown[]>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const mark = (keys: readonly (readonly unknown[])[]) => {
    for (const key of keys) stale.current.set(JSON.stringify(key), key);
    if (stale.current.size === 0 || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      for (const key of stale.current.values()) void queries.invalidateQueries({ queryKey: key });
      stale.current.clear();
    }, DEBOUNCE_MS);
  };
  return useLive(
    (event) => mark(keysOf(event)),
    () => mark(all),
  );
}

/**
 * The runs pages' live view: a change refetches the runs lists and the changed run (with its logs); a reconnect
 * refetches every run.
 */
export function useLiveRuns(workspace: string): LiveState {
  return useLiveRefetch(
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
