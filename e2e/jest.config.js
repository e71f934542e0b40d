/** End-to-end: the five services started from their builds as real processes, on real Postgres and NATS. */
module.exports = require('../jest.preset.js')(__dirname, { testTimeout: 120_000 });
