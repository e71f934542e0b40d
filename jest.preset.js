/** Shared Jest settings: ts-jest in transpile-only mode (tsc type-checks separately), libs mapped to source. */
const path = require('node:path');

module.exports = (projectRoot, overrides = {}) => ({
  rootDir: projectRoot,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(projectRoot, 'tsconfig.json'), diagnostics: false }],
  },
  moduleNameMapper: {
    '^@signalbox/sdk/nats$': path.join(__dirname, 'libs/sdk/src/nats'),
    '^@signalbox/(.*)$': path.join(__dirname, 'libs/$1/src'),
    // The SDK is ESM and names its imports with `.js`, as Node wants; the sources are `.ts`.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: [path.join(__dirname, 'jest.setup.js')],
  testTimeout: 60_000,
  ...overrides,
});
