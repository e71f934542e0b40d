import type { Principal } from './principal';
import { VerifiedTokens } from './verified-tokens';

const alice: Principal = { subject: 'alice', workspaces: ['acme'], permissions: ['*'], kind: 'jwt' };
const bearer = (claims: Record<string, unknown>) =>
  `Bearer e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe(VerifiedTokens.name, () => {
  const now = 1_800_000_000_000;

  it('answers a remembered token until its exp, to the millisecond the verifier would refuse it', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const header = bearer({ sub: 'alice', exp: now / 1000 + 30 });
    expect(tokens.get(header, now)).toBeUndefined();
    tokens.remember(header, alice, now);
    expect(tokens.get(header, now + 29_999)).toBe(alice);
    expect(tokens.get(header, now + 30_000)).toBeUndefined();
    // Gone for good once expired.
    expect(tokens.get(header, now)).toBeUndefined();
  });

  it('answers at most its lifetime, however long the token lives', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const header = bearer({ sub: 'alice', exp: now / 1000 + 3600 });
    tokens.remember(header, alice, now);
    expect(tokens.get(header, now + 59_999)).toBe(alice);
    expect(tokens.get(header, now + 60_000)).toBeUndefined();
  });

  it('answers only the exact header it was given', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const header = bearer({ sub: 'alice', exp: now / 1000 + 30 });
    tokens.remember(header, alice, now);
    expect(tokens.get(`${header}x`, now)).toBeUndefined();
    expect(tokens.get(header.replace('Bearer', 'bearer'), now)).toBeUndefined();
  });

  it('keeps nothing for a token without exp, and at most its capacity, dropping the oldest', () => {
    const tokens = new VerifiedTokens(2, 60_000);
    const noExp = bearer({ sub: 'alice' });
    tokens.remember(noExp, alice, now);
    expect(tokens.get(noExp, now)).toBeUndefined();
    const headers = [1, 2, 3].map((n) => bearer({ sub: `user-${n}`, exp: now / 1000 + 30 }));
    for (const header of headers) tokens.remember(header, alice, now);
    expect(headers.map((header) => tokens.get(header, now) !== undefined)).toEqual([false, true, true]);
  });
});
