import type { LiveEvent } from '@signalbox/sdk';
import { useState } from 'react';

import { type LiveState, useLive } from '../../live';

/** A routed record event, as the live stream announces it. */
export type RoutedEvent = Extract<LiveEvent, { type: 'event' }>;

/** The events kept in memory, newest first; older ones fall off. */
export const KEPT_EVENTS = 200;

export interface LiveEvents {
  readonly state: LiveState;
  /** Newest first, at most `KEPT_EVENTS`. */
  readonly events: readonly RoutedEvent[];
  /** How many arrived since the page opened (more than `events` holds once the cap is reached). */
  readonly arrived: number;
}

/**
 * The workspace's routed record events from the shared live stream, while the page is open. Nothing is stored or
 * replayed: what was routed before, or while the stream was away, is not shown. A credential without
 * `events:read` gets no events (the stream carries only the topics it may read). Keyed by workspace by its
 * caller: a new workspace starts empty.
 */
export function useLiveEvents(): LiveEvents {
  const [seen, setSeen] = useState<{ events: readonly RoutedEvent[]; arrived: number }>({ events: [], arrived: 0 });
  const state = useLive((event) => {
    if (event.type !== 'event') return;
    setSeen((now) => ({ events: [event, ...now.events].slice(0, KEPT_EVENTS), arrived: now.arrived + 1 }));
  });
  return { state, ...seen };
}
