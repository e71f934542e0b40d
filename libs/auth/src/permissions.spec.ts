import { canAccessWorkspace, hasPermission } from './permissions';

describe('hasPermission', () => {
  const read = { resource: 'function-triggers', action: 'read' } as const;
  const write = { resource: 'function-triggers', action: 'write' } as const;
  const execute = { resource: 'function-triggers', action: 'execute' } as const;

  it('grants everything to "*"', () => {
    expect(hasPermission(['*'], write)).toBe(true);
  });

  it('lets write imply read and execute, but not the other way round', () => {
    expect(hasPermission(['function-triggers:write'], read)).toBe(true);
    expect(hasPermission(['function-triggers:write'], execute)).toBe(true);
    expect(hasPermission(['function-triggers:read'], write)).toBe(false);
    expect(hasPermission(['function-triggers:execute'], write)).toBe(false);
    expect(hasPermission(['function-triggers:execute'], read)).toBe(false);
  });

  it('does not leak across resources', () => {
    expect(hasPermission(['webhooks:write'], read)).toBe(false);
    expect(hasPermission(['function-triggers:*'], write)).toBe(true);
    expect(hasPermission([], read)).toBe(false);
  });
});

describe('canAccessWorkspace', () => {
  it('allows listed workspaces and the wildcard only', () => {
    expect(canAccessWorkspace(['acme'], 'acme')).toBe(true);
    expect(canAccessWorkspace(['acme'], 'globex')).toBe(false);
    expect(canAccessWorkspace(['*'], 'globex')).toBe(true);
  });
});
