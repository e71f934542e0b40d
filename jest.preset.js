/** Shared Jest settings: ts-jest in transpile-only mode (tsc type-checks separately), libs mapped to source. */
const path = require('node:path');

module.exports = (projectRoot, overrides = {}) => ({
  rootDir: projectRoot,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(projectRoot, 'tsconfig.json'), diagnostics: false }],
  },
  moduleNameMapper: { '^@signalbox/(.*)$': path.join(__dirname, 'libs/$1/src') },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: [path.join(__dirname, 'jest.setup.js')],
  testTimeout: 60_000,
  ...overrides,
});
