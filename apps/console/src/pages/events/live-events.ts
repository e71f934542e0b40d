import type { LiveEvent } from '@signalbox/sdk';
import { useEffect, useState } from 'react';

import { followLive, type LiveState } from '../../live';
import { useClient } from '../../session-context';

/** A routed record event, as the live stream announces it. */
export type RoutedEvent = Extract<LiveEvent, { type: 'event' }>;

/** The events kept in memory, newest first; older ones fall off. */
export const KEPT_EVENTS = 200;

export interface LiveEvents {
  /** `refused`: the API said no (e.g. the caller lacks `events:read`); `error` says why. */
  readonly state: LiveState | 'refused';
  readonly error: unknown;
  /** Newest first, at most `KEPT_EVENTS`. */
  readonly events: readonly RoutedEvent[];
  /** How many arrived since the page opened (more than `events` holds once the cap is reached). */
  readonly arrived: number;
}

/**
 * Follows the workspace's routed record events (`GET /live?topics=event`) while the page is open. Nothing is
 * stored or replayed: what was routed before, or while the stream was away, is not shown. Reconnects with a
 * growing pause (1 s up to 30 s); a refusal (4xx) is final. Keyed by workspace by its caller: a new workspace
 * starts empty.
 */
export function useLiveEvents(): LiveEvents {
  const client = useClient();
  const [live, setLive] = useState<LiveEvents>({ state: 'connecting', error: null, events: [], arrived: 0 });

  useEffect(() => {
    const stop = new AbortController();
    void followLive(client, ['event'], stop.signal, {
      onOpen: () => setLive((now) => ({ ...now, state: 'live', error: null })),
      onEvent: (event) => {
        if (event.type !== 'event') return;
        setLive((now) => ({
          ...now,
          events: [event, ...now.events].slice(0, KEPT_EVENTS),
          arrived: now.arrived + 1,
        }));
      },
      onState: (state) => setLive((now) => ({ ...now, state })),
      onRefused: (error) => setLive((now) => ({ ...now, state: 'refused', error })),
    });
    return () => stop.abort();
  }, [client]);

  return live;
}
