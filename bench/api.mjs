// `npm run bench`: data-service's trigger routes under load (autocannon, 50 connections) next to a plain
// Fastify route measured in the same run. Prints a table and writes bench/results/api-<time>.json.
// BENCH_PROFILE=data-service writes a CPU profile of data-service to bench/results/profiles (read it with
// `node bench/profile-top.mjs <file>`); BENCH_ONLY=<text> measures only the cases whose name contains it (the
// baselines always run).
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cpuOf, freePort, postgresCpu, sleep } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const autocannon = require('autocannon');
const pg = require('pg');
const jwt = require('jsonwebtoken');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret-0123456789abcdef0123456789';

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** One case: req/s and latency, and the CPU each request cost the serving process and Postgres. */
async function measure(name, options, serverPid) {
  await run({ ...options, duration: 2 }); // warm-up
  const cpuBefore = { server: cpuOf(serverPid), postgres: postgresCpu() };
  const result = await run({ ...options, duration: DURATION });
  const perRequest = (seconds) => +((seconds * 1e6) / Math.max(1, result.requests.total)).toFixed(0);
  return {
    case: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
    'server CPU µs/req': perRequest(cpuOf(serverPid) - cpuBefore.server),
    'postgres CPU µs/req': perRequest(postgresCpu() - cpuBefore.postgres),
  };
}

console.log('building...');
const build = spawnSync(
  'npx',
  ['nx', 'run-many', '-t', 'build', '--projects=data-service,testing', '--outputStyle=static'],
  {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false' },
  },
);
if (build.status !== 0) throw new Error('build failed');

// A private nats-server, so the benchmark's thousands of triggers never reach a shared KV bucket.
const { NatsServerProcess } = require('@signalbox/testing');
const nats = await NatsServerProcess.create();
await nats.start();
const NATS_URL = nats.url;

const database = `bench_${Date.now()}`;
await admin(`CREATE DATABASE "${database}"`);
const dataUrl = new URL(ADMIN_URL);
dataUrl.pathname = `/${database}`;
const dsPort = await freePort();
const baselinePort = await freePort();

const PROFILE_DIR = join(root, 'bench/results/profiles');
const profile = process.env.BENCH_PROFILE === 'data-service' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
if (profile.length > 0) mkdirSync(PROFILE_DIR, { recursive: true });
const dataService = spawn(process.execPath, [...profile, join(root, 'apps/data-service/dist/main.js')], {
  cwd: root,
  stdio: 'ignore',
  env: {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(dsPort),
    DATABASE_URL: dataUrl.toString(),
    NATS_URL,
    JWT_SECRET: SECRET,
    // One token drives the whole benchmark: measure the service, not its rate limits.
    RATE_LIMIT_READ_PER_MINUTE: '100000000',
    RATE_LIMIT_WRITE_PER_MINUTE: '100000000',
    RATE_LIMIT_EXECUTE_PER_MINUTE: '100000000',
    INSTANCE_ID: 'bench',
  },
});
const baseline = fork(join(root, 'bench/baseline-server.mjs'), [], {
  env: { PORT: String(baselinePort), DATABASE_URL: dataUrl.toString() },
  stdio: 'ignore',
});

async function cleanup() {
  const exited = new Promise((resolve) =>
    dataService.exitCode !== null ? resolve() : dataService.once('exit', resolve),
  );
  dataService.kill('SIGTERM');
  baseline.kill('SIGTERM');
  // The CPU profile is written as it exits.
  await Promise.race([exited, sleep(10_000)]);
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
  await nats.dispose();
}

try {
  const ours = `http://127.0.0.1:${dsPort}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${ours}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('data-service did not become ready within 30 s');
    await sleep(200);
  }
  await new Promise((resolve) => baseline.once('message', resolve));

  const token = jwt.sign({ workspaces: ['bench'], permissions: ['*'] }, SECRET, { subject: 'bench', expiresIn: 3600 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const base = `${ours}/workspace/bench/api/v1`;
  const post = (path, body) =>
    fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json());

  const fn = await post('/compute-functions', {
    name: 'bench-fn',
    code: 'async function run() { return { ok: true }; }',
  });
  const params = Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [`param${i}`, `value-${'x'.repeat(48)}-${i}`]),
  );
  const body = (name) => ({
    name,
    description: 'benchmark trigger',
    functionId: fn.id,
    executionType: 'on-demand',
    triggerMetadata: { params },
  });
  console.log(`request body: ${JSON.stringify(body('bench-000000')).length} bytes; seeding 200 triggers...`);
  const seeded = [];
  for (let i = 0; i < 200; i++) seeded.push(await post('/function-triggers', body(`seed-${i}`)));
  const first = seeded[0];

  let counter = 0;
  const createRequest = {
    method: 'POST',
    path: '/workspace/bench/api/v1/function-triggers',
    setupRequest: (request) => ({ ...request, body: JSON.stringify(body(`load-${process.pid}-${counter++}`)) }),
  };
  const baselineBody = JSON.stringify({
    name: 'x',
    description: 'benchmark trigger',
    functionId: fn.id,
    executionType: 'on-demand',
    triggerMetadata: { params },
  });

  let baselineCounter = 0;
  const baselineCreate = {
    method: 'POST',
    path: '/items-db',
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify(body(`floor-${process.pid}-${baselineCounter++}`)),
    }),
  };

  const results = [];
  const floorPid = baseline.pid;
  console.log(`measuring: ${CONNECTIONS} connections, ${DURATION} s per case (after 2 s warm-up)`);
  const getFloor = await measure(
    'floor: GET (plain Fastify)',
    { url: `http://127.0.0.1:${baselinePort}/item` },
    floorPid,
  );
  const postFloor = await measure(
    'floor: POST (Fastify + compiled schema)',
    {
      url: `http://127.0.0.1:${baselinePort}/items`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: baselineBody,
    },
    floorPid,
  );
  const readFloor = await measure(
    'floor: GET + 1 Postgres read (Fastify + pg)',
    { url: `http://127.0.0.1:${baselinePort}/item-from-db/${first.id}` },
    floorPid,
  );
  const createFloor = await measure(
    'floor: POST + trigger and version INSERTs in 1 transaction (Fastify + pg)',
    {
      url: `http://127.0.0.1:${baselinePort}`,
      headers: { 'content-type': 'application/json' },
      requests: [baselineCreate],
    },
    floorPid,
  );
  results.push(getFloor, postFloor, readFloor, createFloor);
  const only = process.env.BENCH_ONLY;
  // Each route with the floor it is held to (issue 23's targets).
  const cases = [
    ['GET /function-triggers/{id}', { url: `${base}/function-triggers/${first.id}`, headers }, readFloor, 0.7],
    ['GET /function-triggers?limit=50', { url: `${base}/function-triggers?limit=50`, headers }, readFloor, 0.5],
    ['POST /function-triggers', { url: ours, headers, requests: [createRequest] }, createFloor, 0.5],
  ];
  for (const [name, options, floor, target] of cases) {
    if (only && !name.includes(only)) continue;
    const row = await measure(name, options, dataService.pid);
    row['vs floor'] = `${((row['req/s'] / floor['req/s']) * 100).toFixed(0)}% of "${floor.case.slice(7)}"`;
    row.target = `${target * 100}%`;
    results.push(row);
  }
  console.table(results);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/api-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ connections: CONNECTIONS, durationSeconds: DURATION, results }, null, 2));
  console.log(`written to ${file}`);
} finally {
  await cleanup();
}
