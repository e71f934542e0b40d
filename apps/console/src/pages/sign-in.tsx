import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';

import { sessionFromApiKey, sessionFromToken } from '../session';
import { useSession } from '../session-context';

export function SignInPage() {
  const { session, signIn, notice } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/runs';
  const [token, setToken] = useState('');
  const [tokenError, setTokenError] = useState<string | null>(null);
  const [apiKey, setApiKey] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [keyError, setKeyError] = useState<string | null>(null);

  if (session) return <Navigate to={from} replace />;

  const withToken = (event: FormEvent) => {
    event.preventDefault();
    const next = sessionFromToken(token);
    if (typeof next === 'string') return setTokenError(next);
    signIn(next);
    void navigate(from, { replace: true });
  };
  const withKey = (event: FormEvent) => {
    event.preventDefault();
    const next = sessionFromApiKey(apiKey, workspace);
    if (typeof next === 'string') return setKeyError(next);
    signIn(next);
    void navigate(from, { replace: true });
  };

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to the Signalbox console</h1>
      {notice && (
        <p role="alert" className="notice notice-error">
          The sign-in link did not work: {notice}
        </p>
      )}
      <p>
        The console calls the API with your credential; it stays in this browser tab only (session storage) and is
        forgotten when you sign out or close the tab. <code>npm start</code> prints a one-click development sign-in
        link.
      </p>
      <form onSubmit={withToken} aria-labelledby="token-heading" noValidate>
        <h2 id="token-heading">With a token</h2>
        <label htmlFor="token">Access token (JWT)</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={tokenError ? true : undefined}
          aria-describedby={tokenError ? 'token-error' : undefined}
          autoComplete="off"
          spellCheck={false}
        />
        {tokenError && (
          <p id="token-error" role="alert" className="field-error">
            {tokenError}
          </p>
        )}
        <button type="submit">Sign in with token</button>
      </form>
      <form onSubmit={withKey} aria-labelledby="key-heading" noValidate>
        <h2 id="key-heading">With an API key</h2>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
          autoComplete="off"
        />
        <label htmlFor="key-workspace">Workspace slug</label>
        <input
          id="key-workspace"
          name="workspace"
          value={workspace}
          onChange={(event) => setWorkspace(event.target.value)}
          aria-invalid={keyError ? true : undefined}
          aria-describedby={keyError ? 'key-error' : undefined}
        />
        {keyError && (
          <p id="key-error" role="alert" className="field-error">
            {keyError}
          </p>
        )}
        <button type="submit">Sign in with API key</button>
      </form>
    </main>
  );
}
