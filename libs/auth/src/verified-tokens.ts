import type { Principal } from './principal';

interface Entry {
  readonly principal: Principal;
  /** Epoch ms after which the entry no longer answers: the token's `exp`, or the cache lifetime if sooner. */
  readonly until: number;
}

/**
 * The principals of bearer tokens verified lately, by the exact `authorization` header that carried them. A client
 * sends the same token with every request for as long as it lives; verifying it once (signature, algorithm,
 * claims) instead of on every request takes the HMAC and JSON parsing off the hot path. Only tokens that passed the
 * full check are kept; each answers until its `exp` (the same instant the verifier would refuse it) and at most
 * `lifetimeMs`, so a key removed from a JWKS stops being honoured within that time. At most `capacity` entries, the
 * oldest dropped first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 10_000,
    private readonly lifetimeMs = 60_000,
  ) {}

  get(header: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(header);
    if (!entry) return undefined;
    if (now < entry.until) return entry.principal;
    this.entries.delete(header);
    return undefined;
  }

  /** Keeps a verified token's principal. `header` must be the exact value the verifier accepted. */
  remember(header: string, principal: Principal, now = Date.now()): void {
    const exp = expiryOf(header);
    if (exp === undefined) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(header, { principal, until: Math.min(exp * 1000, now + this.lifetimeMs) });
  }
}

/** The `exp` of a bearer token whose signature was already verified; undefined when it has none. */
function expiryOf(header: string): number | undefined {
  const token = header.slice(header.lastIndexOf(' ') + 1);
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
