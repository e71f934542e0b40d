#!/usr/bin/env node
// The CLI's entry: a file that exists before the build, so npm links `signalbox` at install time in this
// repository too (dist/ is built afterwards).
import('../dist/cli.js').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  console.error('signalbox: the SDK is not built yet: run `npm run build` (or `npm start`) first');
  process.exitCode = 1;
});
