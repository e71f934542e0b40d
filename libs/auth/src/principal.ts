import { SignalboxError } from '@signalbox/contracts';

/** Who is calling: the verified claims of a JWT, or an API key's workspace and scopes. */
export interface Principal {
  /** The token's `sub`, or `api-key:<id>`. */
  readonly subject: string;
  readonly workspaces: readonly string[];
  readonly permissions: readonly string[];
  readonly kind: 'jwt' | 'api-key';
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Turns a signature-verified payload into a principal, refusing tokens that lack what we rely on. */
export function principalFromClaims(payload: Record<string, unknown>): Principal {
  if (typeof payload['exp'] !== 'number') throw new SignalboxError('UNAUTHORIZED', 'token has no exp claim');
  if (typeof payload['sub'] !== 'string' || payload['sub'] === '')
    throw new SignalboxError('UNAUTHORIZED', 'token has no sub claim');
  const workspaces = payload['workspaces'];
  const permissions = payload['permissions'];
  if (!isStringArray(workspaces))
    throw new SignalboxError('UNAUTHORIZED', 'token claim workspaces must be an array of strings');
  if (!isStringArray(permissions))
    throw new SignalboxError('UNAUTHORIZED', 'token claim permissions must be an array of strings');
  return { subject: payload['sub'], workspaces, permissions, kind: 'jwt' };
}
