import { Signalbox } from '@signalbox/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

import { loadSession, saveSession, type Session } from './session';

interface SessionState {
  readonly session: Session | null;
  /** A client of the session's workspace; null without a session or a workspace. */
  readonly client: Signalbox | null;
  readonly signIn: (session: Session) => void;
  readonly signOut: () => void;
  readonly chooseWorkspace: (workspace: string) => void;
  /** Why the sign-in link did not sign in, shown on the sign-in page. */
  readonly notice: string | null;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children, initialError }: { children: ReactNode; initialError?: string | null }) {
  const [session, setSession] = useState<Session | null>(() => (initialError ? null : loadSession()));
  const queries = useQueryClient();
  const update = useCallback(
    (next: Session | null) => {
      saveSession(next);
      setSession(next);
      queries.clear();
    },
    [queries],
  );
  const state = useMemo<SessionState>(() => {
    const client =
      session?.workspace != null
        ? new Signalbox({
            baseUrl: window.location.origin,
            workspace: session.workspace,
            ...(session.kind === 'token' ? { token: session.secret } : { apiKey: session.secret }),
          })
        : null;
    return {
      session,
      client,
      signIn: update,
      signOut: () => update(null),
      chooseWorkspace: (workspace) => session && update({ ...session, workspace }),
      notice: initialError ?? null,
    };
  }, [session, update, initialError]);
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The client of the chosen workspace; only under a route that requires one. */
export function useClient(): Signalbox {
  const { client } = useSession();
  if (!client) throw new Error('no workspace chosen');
  return client;
}
