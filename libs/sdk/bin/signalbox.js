#!/usr/bin/env node
// The CLI's entry: a file that exists before the build, so npm links `signalbox` at install time in this
// repository too (dist/ is built afterwards).
import '../dist/cli.js';
