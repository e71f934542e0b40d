import { type FormEvent, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';

import { LiveProvider, useLiveRuns } from './live';
import { isSlug } from './session';
import { useSession } from './session-context';

/** Every page but sign-in: without a credential, the sign-in page; without a workspace, the workspace form. */
export function SignedIn() {
  const { session, client } = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  return (
    <>
      <Header />
      <main id="main" tabIndex={-1}>
        {client ? (
          <LiveProvider client={client}>
            <LiveOutlet />
          </LiveProvider>
        ) : (
          <ChooseWorkspace />
        )}
      </main>
    </>
  );
}

function LiveOutlet() {
  const { client } = useSession();
  const live = useLiveRuns(client!.workspace);
  return (
    <>
      <p className="live-state" role="status" data-live={live}>
        <span className={`dot dot-${live}`} aria-hidden="true" />
        {live === 'live'
          ? 'Live updates on'
          : live === 'connecting'
            ? 'Connecting to live updates…'
            : 'Live updates interrupted: reconnecting…'}
      </p>
      <Outlet />
    </>
  );
}

const NAV = [
  ['/runs', 'Runs'],
  ['/functions', 'Functions'],
  ['/triggers', 'Triggers'],
  ['/events', 'Events'],
  ['/webhooks', 'Outbound webhooks'],
  ['/api-keys', 'API keys'],
  ['/status', 'Status'],
] as const;

function Header() {
  const { session, signOut } = useSession();
  const navigate = useNavigate();
  return (
    <header className="top">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <span className="brand">Signalbox</span>
      <nav aria-label="Main">
        <ul>
          {NAV.map(([to, label]) => (
            <li key={to}>
              <NavLink to={to}>{label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="top-right">
        <WorkspaceSwitcher />
        {session?.subject && <span className="subject">{session.subject}</span>}
        <button
          type="button"
          className="secondary"
          onClick={() => {
            signOut();
            void navigate('/sign-in', { replace: true });
          }}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}

function WorkspaceSwitcher() {
  const { session, chooseWorkspace } = useSession();
  const navigate = useNavigate();
  if (!session) return null;
  const named = session.workspaces.filter((w) => w !== '*');
  if (session.workspaces.includes('*')) return <WorkspaceField />;
  if (named.length <= 1) return <span className="workspace">Workspace: {session.workspace}</span>;
  return (
    <label className="workspace">
      Workspace{' '}
      <select
        value={session.workspace ?? ''}
        onChange={(event) => {
          chooseWorkspace(event.target.value);
          void navigate('/runs');
        }}
      >
        {named.map((w) => (
          <option key={w} value={w}>
            {w}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A token for any workspace (`*`): the workspace is typed. */
function WorkspaceField() {
  const { session, chooseWorkspace } = useSession();
  const navigate = useNavigate();
  const [value, setValue] = useState(session?.workspace ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!isSlug(value.trim())) return setError('lowercase letters, digits and -');
    setError(null);
    chooseWorkspace(value.trim());
    void navigate('/runs');
  };
  return (
    <form className="workspace" onSubmit={submit}>
      <label htmlFor="workspace-field">Workspace</label>{' '}
      <input
        id="workspace-field"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'workspace-field-error' : undefined}
        size={14}
      />{' '}
      <button type="submit" className="secondary">
        Open
      </button>
      {error && (
        <span id="workspace-field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function ChooseWorkspace() {
  return (
    <section aria-labelledby="choose-heading">
      <h1 id="choose-heading">Choose a workspace</h1>
      <p>Your token may open any workspace: type its slug in the Workspace field above.</p>
    </section>
  );
}
