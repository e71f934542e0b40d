import { createSecretKey } from 'node:crypto';

import { sign } from 'jsonwebtoken';

import { keyThatSigned } from './jwt.strategy';

describe('keyThatSigned (several HS* secrets during a rotation)', () => {
  const secrets = ['current-secret-0123456789abcdef', 'previous-secret-0123456789abcdef'];
  const keys = secrets.map((secret) => createSecretKey(Buffer.from(secret)));

  it.each(['HS256', 'HS384', 'HS512'] as const)('finds the secret that signed an %s token', (algorithm) => {
    for (const [index, secret] of secrets.entries()) {
      expect(keyThatSigned(sign({ a: 1 }, secret, { algorithm }), keys)).toBe(keys[index]);
    }
  });

  it('answers the current secret for a token no secret signed, or one that is not a JWT', () => {
    for (const token of [sign({ a: 1 }, 'another-secret-0123456789abcdef'), 'not.a.jwt', '', 'a.b', '%%%.%%%.%%%']) {
      expect(keyThatSigned(token, keys)).toBe(keys[0]);
    }
  });
});
