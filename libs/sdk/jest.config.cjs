/**
 * The SDK's tests: small ones in src/, and test/ against a whole platform started from the services' builds.
 * The package is ESM; Jest runs it transpiled to CommonJS (tsconfig.spec.json).
 */
const path = require('node:path');

module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 120_000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json'), diagnostics: false }],
  },
});
