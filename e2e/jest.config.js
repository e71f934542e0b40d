/** End-to-end: the five services started from their builds as real processes, on real Postgres and NATS. */
const path = require('node:path');

module.exports = require('../jest.preset.js')(__dirname, {
  testTimeout: 120_000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json'), diagnostics: false }],
  },
});
