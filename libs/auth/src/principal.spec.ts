import { SignalboxError } from '@signalbox/contracts';

import { principalFromClaims } from './principal';

describe('principalFromClaims', () => {
  const valid = { sub: 'user-1', exp: 2_000_000_000, workspaces: ['acme'], permissions: ['*'] };

  it('builds a principal from complete claims', () => {
    expect(principalFromClaims(valid)).toEqual({
      subject: 'user-1',
      workspaces: ['acme'],
      permissions: ['*'],
      kind: 'jwt',
    });
  });

  it.each([
    ['exp', { ...valid, exp: undefined }, 'token has no exp claim'],
    ['sub', { ...valid, sub: '' }, 'token has no sub claim'],
    ['workspaces', { ...valid, workspaces: 'acme' }, 'token claim workspaces must be an array of strings'],
    ['permissions', { ...valid, permissions: [1] }, 'token claim permissions must be an array of strings'],
  ])('refuses a token with a bad %s claim', (_name, claims, message) => {
    expect(() => principalFromClaims(claims)).toThrow(new SignalboxError('UNAUTHORIZED', message));
  });
});
