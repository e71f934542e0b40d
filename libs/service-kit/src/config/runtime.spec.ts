import { unsupportedNodeMessage } from './runtime';

describe('unsupportedNodeMessage', () => {
  it('names the version and the binary of a Node.js older than 24', () => {
    expect(unsupportedNodeMessage('v20.20.2', '/usr/bin/node')).toBe(
      'Signalbox runs on Node.js 24, and this is v20.20.2 (/usr/bin/node): start the service with ' +
        'node_modules/.bin/node (npm scripts and npx put it first on the PATH)',
    );
    expect(unsupportedNodeMessage('v22.21.0', '/usr/bin/node')).toContain('v22.21.0');
  });

  it('accepts Node.js 24 and later', () => {
    expect(unsupportedNodeMessage('v24.21.0', '/x/node')).toBeNull();
    expect(unsupportedNodeMessage('v26.1.0', '/x/node')).toBeNull();
  });

  it('refuses a version it cannot read', () => {
    expect(unsupportedNodeMessage('nonsense', '/x/node')).toContain('nonsense');
  });
});
