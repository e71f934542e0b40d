/** The console's credential: a JWT or an API key, kept in sessionStorage (gone with the tab), never in a URL. */
export interface Session {
  readonly kind: 'token' | 'apiKey';
  readonly secret: string;
  /** The workspaces the credential holds (`*`: any); an API key holds the one it was given with. */
  readonly workspaces: readonly string[];
  /** The workspace the console shows; null until one is chosen (a token for `*`). */
  readonly workspace: string | null;
  /** The token's subject, shown in the header. */
  readonly subject?: string;
}

const STORAGE_KEY = 'signalbox.console.session';
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TokenClaims {
  readonly sub?: string;
  readonly workspaces?: readonly string[];
  readonly permissions?: readonly string[];
  readonly exp?: number;
}

/** The payload of a JWT, not verified (the API verifies it on every call); null when it is not a JWT. */
export function decodeClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part || token.split('.').length !== 3) return null;
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

/** A session for a token, or why the token cannot sign in. */
export function sessionFromToken(raw: string, previous?: string | null): Session | string {
  const token = raw.trim();
  const claims = decodeClaims(token);
  if (!claims) return 'This is not a token: a token has three parts separated by dots.';
  if (claims.exp !== undefined && claims.exp * 1000 < Date.now()) return 'This token has expired: mint a new one.';
  const workspaces = (claims.workspaces ?? []).filter((w): w is string => typeof w === 'string');
  if (workspaces.length === 0) return 'This token holds no workspace (its "workspaces" claim is empty).';
  const named = workspaces.filter((w) => w !== '*');
  const any = workspaces.includes('*');
  const workspace = previous && (any || named.includes(previous)) ? previous : (named[0] ?? null);
  return { kind: 'token', secret: token, workspaces, workspace, subject: claims.sub };
}

export function sessionFromApiKey(key: string, workspace: string): Session | string {
  if (!key.trim()) return 'Enter an API key.';
  if (!isSlug(workspace.trim())) return 'Enter the workspace slug the key belongs to (lowercase letters, digits, -).';
  return { kind: 'apiKey', secret: key.trim(), workspaces: [workspace.trim()], workspace: workspace.trim() };
}

export function loadSession(): Session | null {
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (!stored) return null;
    const session = JSON.parse(stored) as Session;
    return typeof session.secret === 'string' && Array.isArray(session.workspaces) ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * The one-click sign-in link (`/console/#token=...`): the fragment never reaches a server or a log. The token is
 * kept in sessionStorage and the fragment removed from the address bar (and the history).
 */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const token = new URLSearchParams(hash).get('token');
  if (token === null) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  const session = sessionFromToken(token, loadSession()?.workspace);
  if (typeof session === 'string') return session;
  saveSession(session);
  return null;
}
