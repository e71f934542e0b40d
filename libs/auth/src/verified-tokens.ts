import type { Principal } from './principal';

interface Entry {
  readonly principal: Principal;
  /** Epoch ms after which the entry no longer answers: the token's `exp`, or the cache lifetime if sooner. */
  readonly until: number;
}

/** A JWT in compact form, of a size a real token has. Anything else is never kept. */
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 8_192;

/**
 * The principals of bearer tokens verified lately, by the token itself (exactly the string the verifier checked). A
 * client sends the same token with every request for as long as it lives; verifying it once (signature, algorithm,
 * claims) instead of on every request takes the HMAC and JSON parsing off the hot path. Only tokens that passed the
 * full check are kept; each answers until its own `exp` (the same instant the verifier would refuse it) and at most
 * `lifetimeMs`, so a key removed from a JWKS stops being honoured within that time. At most `capacity` entries, the
 * oldest dropped first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 10_000,
    private readonly lifetimeMs = 60_000,
  ) {}

  get(token: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (now < entry.until) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** Keeps a verified token's principal. `token` must be the exact string the verifier accepted. */
  remember(token: string, principal: Principal, now = Date.now()): void {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWT.test(token) || this.entries.has(token)) return;
    const exp = expiryOf(token);
    if (exp === undefined) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { principal, until: Math.min(exp * 1000, now + this.lifetimeMs) });
  }
}

/** The `exp` of a token whose signature was already verified; undefined when it has none. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
