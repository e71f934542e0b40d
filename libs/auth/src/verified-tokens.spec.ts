import type { Principal } from './principal';
import { VerifiedTokens } from './verified-tokens';

const alice: Principal = { subject: 'alice', workspaces: ['acme'], permissions: ['*'], kind: 'jwt' };
const jwt = (claims: Record<string, unknown>) =>
  `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe(VerifiedTokens.name, () => {
  const now = 1_800_000_000_000;

  it('answers a remembered token until its exp, to the millisecond the verifier would refuse it', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const token = jwt({ sub: 'alice', exp: now / 1000 + 30 });
    expect(tokens.get(token, now)).toBeUndefined();
    tokens.remember(token, alice, now);
    expect(tokens.get(token, now + 29_999)).toBe(alice);
    expect(tokens.get(token, now + 30_000)).toBeUndefined();
    // Gone for good once expired.
    expect(tokens.get(token, now)).toBeUndefined();
  });

  it('answers at most its lifetime, however long the token lives', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const token = jwt({ sub: 'alice', exp: now / 1000 + 3600 });
    tokens.remember(token, alice, now);
    expect(tokens.get(token, now + 59_999)).toBe(alice);
    expect(tokens.get(token, now + 60_000)).toBeUndefined();
  });

  it('answers only the exact token it was given, and keeps nothing that is not a compact JWT', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    const token = jwt({ sub: 'alice', exp: now / 1000 + 30 });
    tokens.remember(token, alice, now);
    expect(tokens.get(`${token}x`, now)).toBeUndefined();
    for (const odd of [`${token} ${token}`, `Bearer ${token}`, `${token}.x`, `${'a'.repeat(9000)}.${token}`]) {
      tokens.remember(odd, alice, now);
      expect(tokens.get(odd, now)).toBeUndefined();
    }
  });

  it('keeps nothing for a token without exp, and at most its capacity, dropping the oldest', () => {
    const tokens = new VerifiedTokens(2, 60_000);
    const noExp = jwt({ sub: 'alice' });
    tokens.remember(noExp, alice, now);
    expect(tokens.get(noExp, now)).toBeUndefined();
    const issued = [1, 2, 3].map((n) => jwt({ sub: `user-${n}`, exp: now / 1000 + 30 }));
    for (const token of issued) tokens.remember(token, alice, now);
    expect(issued.map((token) => tokens.get(token, now) !== undefined)).toEqual([false, true, true]);
  });
});
