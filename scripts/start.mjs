// `npm start`: install if needed, build, make sure Postgres and NATS run, start the five services as
// separate processes with prefixed logs, wait until all are ready, print where to go. Ctrl-C stops all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureDatabase, ensureDependencies } from './lib/dependencies.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
// Set when this script hands over to the project's Node (below), so the times printed count the install too.
const t0 = Number(process.env.SIGNALBOX_START_TIME) || Date.now();
const SERVICES = [
  { name: 'data-service', port: 3000, color: 36 },
  { name: 'webhook-gateway', port: 3001, color: 35 },
  { name: 'scheduler-service', port: 3002, color: 33 },
  { name: 'event-router', port: 3003, color: 32 },
  { name: 'compute-runtime', port: 3004, color: 34 },
];
const REQUIRED_NODE_MAJOR = '24';
const seconds = (ms) => (ms / 1000).toFixed(1);
const say = (message) => console.log(`\x1b[1m[signalbox]\x1b[0m ${message}`);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(' ')} failed (exit ${result.status})`);
    process.exit(1);
  }
}

// The platform runs on the Node.js 24 that the `node` devDependency installs (node_modules/.bin/node), whatever
// the machine's own node is. A fresh clone starts this script on the machine's node: install, then hand over.
const projectNode = join(root, 'node_modules', '.bin', 'node');
if (!existsSync(join(root, 'node_modules', '.package-lock.json')) || !existsSync(projectNode)) {
  say('installing dependencies (npm ci)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
if (process.versions.node.split('.')[0] !== REQUIRED_NODE_MAJOR) {
  if (!existsSync(projectNode)) {
    console.error(`Node.js ${REQUIRED_NODE_MAJOR} is required and node_modules/.bin/node is missing: run npm ci`);
    process.exit(1);
  }
  const child = spawn(projectNode, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, SIGNALBOX_START_TIME: String(t0) },
  });
  // Ctrl-C reaches both processes (one process group): this one waits for the other to stop its services.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  await new Promise(() => undefined);
}
say(`services run on Node.js ${process.version} (${process.execPath})`);
say('building...');
run('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']);

try {
  await ensureDependencies({ log: say });
  await ensureDatabase(require('pg'));
} catch (error) {
  console.error(`\n${error.message}`);
  process.exit(1);
}

const tBuilt = Date.now();
const children = [];
let stopping = false;

function prefix(stream, name, color) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) process.stdout.write(`\x1b[${color}m${name.padEnd(17)}\x1b[0m | ${line}\n`);
  });
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('stopping all services (SIGTERM)...');
  const exits = children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => c.once('exit', r)));
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 30_000);
  Promise.all(exits).then(() => {
    clearTimeout(force);
    say('all services stopped');
    process.exit(code);
  });
}

// Development: outbound HTTP (api.fetch, outbound webhooks) may reach this machine and private networks, so
// that a local receiver works. Production (any other start) refuses them unless the operator allows them.
const allowPrivate = process.env.FETCH_ALLOW_PRIVATE_NETWORKS ?? 'true';
if (allowPrivate === 'true') {
  say(
    'development: api.fetch and outbound webhooks may reach loopback and private addresses (FETCH_ALLOW_PRIVATE_NETWORKS=true); production refuses them',
  );
}
for (const service of SERVICES) {
  const env = {
    ...process.env,
    FETCH_ALLOW_PRIVATE_NETWORKS: allowPrivate,
    PORT: process.env[`${service.name.toUpperCase().replace(/-/g, '_')}_PORT`] || String(service.port),
  };
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'apps', service.name, 'dist', 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  service.port = Number(env.PORT);
  prefix(child.stdout, service.name, service.color);
  prefix(child.stderr, service.name, service.color);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${service.name} exited unexpectedly (${signal ?? `code ${code}`})`);
      stopAll(1);
    }
  });
  children.push(child);
}
process.once('SIGINT', () => stopAll(0));
process.once('SIGTERM', () => stopAll(0));

const deadline = Date.now() + 90_000;
for (const service of SERVICES) {
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${service.port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (stopping) await new Promise(() => undefined);
    if (Date.now() > deadline) {
      say(`${service.name} did not become ready within 90 s (see its log lines above)`);
      stopAll(1);
      await new Promise(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const token = spawnSync(
  process.execPath,
  [join(root, 'scripts', 'token.mjs'), '--workspace', 'acme', '--permissions', '*'],
  {
    cwd: root,
    encoding: 'utf8',
    env: process.env,
  },
).stdout.trim();
const api = `http://127.0.0.1:${SERVICES[0].port}`;
console.log(`
\x1b[1mSignalbox is up\x1b[0m: all five services ready ${seconds(Date.now() - t0)} s after the command (install check and build ${seconds(tBuilt - t0)} s, services from spawn to ready ${seconds(Date.now() - tBuilt)} s), on Node.js ${process.version}

${SERVICES.map((s) => `  ${s.name.padEnd(17)} http://127.0.0.1:${s.port}  (/health/ready, /metrics)`).join('\n')}

  Web console (one-click development sign-in; the token is in the fragment, which reaches no server log):
  ${api}/console/#token=${token}

  Development token (workspace "acme", all permissions, 24 h):
  ${token}

  Try:
  curl -s -H "Authorization: Bearer ${token}" ${api}/workspace/acme/api/v1/system/status

  Or the CLI (another terminal, this folder; docs/sdk.md):
  export SIGNALBOX_WORKSPACE=acme SIGNALBOX_TOKEN=${token}
  npx signalbox functions deploy examples/functions/hello.js
  npx signalbox functions run hello --data '{"name":"Ada"}' --wait

  Ctrl-C stops everything.
`);
