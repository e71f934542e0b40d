import type { Signalbox } from '@signalbox/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** At most one refetch per this long, however many changes arrive. */
const DEBOUNCE_MS = 250;

/**
 * Follows the workspace's live stream (`GET /live?topics=run`) and refetches what a change makes stale: the runs
 * list and the changed runs. Reconnects with a growing pause; after a reconnect everything is refetched, since
 * the stream does not replay what happened while it was closed.
 */
export function useLiveRuns(client: Signalbox): LiveState {
  const queries = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    const stop = new AbortController();
    const changed = new Set<string>();
    let all = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const workspace = client.workspace;
      void queries.invalidateQueries({ queryKey: ['runs', workspace] });
      if (all) {
        void queries.invalidateQueries({ queryKey: ['run', workspace] });
        void queries.invalidateQueries({ queryKey: ['logs', workspace] });
      } else {
        for (const jobId of changed) {
          void queries.invalidateQueries({ queryKey: ['run', workspace, jobId] });
          void queries.invalidateQueries({ queryKey: ['logs', workspace, jobId] });
        }
      }
      changed.clear();
      all = false;
    };
    const soon = () => {
      timer ??= setTimeout(flush, DEBOUNCE_MS);
    };

    void (async () => {
      let pause = 1000;
      let first = true;
      while (!stop.signal.aborted) {
        try {
          const events = await client.live.open({ topics: ['run'], signal: stop.signal });
          setState('live');
          pause = 1000;
          if (!first) {
            all = true;
            soon();
          }
          first = false;
          for await (const event of events) {
            if (event.type !== 'run') continue;
            changed.add(event.jobId);
            soon();
          }
        } catch {
          // closed, refused or unreachable: try again below
        }
        if (stop.signal.aborted) return;
        setState('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(30_000, pause * 2);
      }
    })();

    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
    };
  }, [client, queries]);

  return state;
}
