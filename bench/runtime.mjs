// `npm run bench:runtime`: the execution path. (a) sandbox cost per trivial run, warm, next to node:vm and
// vm2 in the same run; (b) execute API -> completed, runs/s with one and two runtime replicas. Synchronous
// calls (endpoint triggers) are measured by `npm run bench:webhooks`. Prints tables; writes
// bench/results/runtime-<time>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

import { createBenchDatabase, percentile, serviceEnv, sleep, startService, UNLIMITED } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pg = require('pg');
const jwt = require('jsonwebtoken');

const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const CODE = 'async function run() { return { ok: true, n: executionParams.n }; }';

async function pool(items, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) await work(next++);
    }),
  );
}

console.log('building...');
if (
  spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '--projects=data-service,compute-runtime,testing', '--outputStyle=static'],
    { cwd: root, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } },
  ).status !== 0
)
  throw new Error('build failed');

// (a) sandbox cost per run
const { SandboxPool } = require(join(root, 'apps/compute-runtime/dist/sandbox/sandbox.pool.js'));
const limits = {
  memoryMb: 64,
  timeoutMs: 5000,
  cpuTimeMs: 5000,
  maxResultBytes: 1 << 20,
  maxLogLines: 100,
  maxLogBytes: 65536,
  maxFetches: 0,
};
const fetchPolicy = {
  allowPrivateNetworks: false,
  allowedHosts: [],
  timeoutMs: 1000,
  maxResponseBytes: 1024,
  maxRedirects: 0,
};
const sandbox = new SandboxPool({ workers: 2, graceMs: 2000 });
const job = (n) => ({
  runId: String(n),
  attempt: 1,
  workspace: 'bench',
  code: CODE,
  executionParams: { n },
  triggerParams: {},
  limits,
  fetch: fetchPolicy,
});
for (let i = 0; i < 100; i++) await sandbox.run(job(i)); // warm
let t = performance.now();
await pool(RUNS, 4, (i) => sandbox.run(job(i)));
const ours = performance.now() - t;
await sandbox.close();

t = performance.now();
for (let i = 0; i < RUNS; i++) {
  const context = vm.createContext({ executionParams: { n: i } });
  await vm.runInContext(`${CODE}; run()`, context, { timeout: 5000 });
}
const nodeVm = performance.now() - t;

const { VM } = require('vm2');
t = performance.now();
for (let i = 0; i < RUNS; i++)
  await new VM({ timeout: 5000, sandbox: { executionParams: { n: i } } }).run(`${CODE}; run()`);
const vm2 = performance.now() - t;

const sandboxTable = [
  {
    sandbox: 'ours: isolated-vm, fresh isolate per run, 2 worker processes',
    'runs/s': Math.round(RUNS / (ours / 1000)),
    'ms per run (wall / parallelism)': +(ours / RUNS).toFixed(3),
  },
  {
    sandbox: 'node:vm, fresh context per run, in-process (NOT a security boundary)',
    'runs/s': Math.round(RUNS / (nodeVm / 1000)),
    'ms per run (wall / parallelism)': +(nodeVm / RUNS).toFixed(3),
  },
  {
    sandbox: 'vm2, new VM per run, in-process (escapable)',
    'runs/s': Math.round(RUNS / (vm2 / 1000)),
    'ms per run (wall / parallelism)': +(vm2 / RUNS).toFixed(3),
  },
];
console.log(`\n(a) sandbox cost, ${RUNS} trivial runs, warm`);
console.table(sandboxTable);

// (b) and (c): the whole path, with real processes
const { NatsServerProcess } = require('@signalbox/testing');
async function platform(runtimes) {
  const nats = await NatsServerProcess.create();
  await nats.start();
  const database = await createBenchDatabase('bench_rt');
  // One token drives the whole benchmark: measure the service, not its rate limits.
  const env = serviceEnv(database.url, nats.url, { JWT_SECRET: SECRET, ...UNLIMITED, SANDBOX_WORKERS: '2' });
  const children = [];
  const start = async (app) => {
    // BENCH_PROFILE=<app>: that service writes a CPU profile to bench/results/profiles/ (bench/profile-top.mjs).
    const profile =
      process.env.BENCH_PROFILE === app ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/results/profiles')}`] : [];
    const { port, child } = await startService(app, env, profile);
    children.push(child);
    return port;
  };
  const dsPort = await start('data-service');
  for (let i = 0; i < runtimes; i++) await start('compute-runtime');
  return {
    base: `http://127.0.0.1:${dsPort}/workspace/bench/api/v1`,
    db: database.url,
    nats,
    async stop() {
      for (const child of children) child.kill('SIGTERM');
      await sleep(1500);
      await database.drop();
      await nats.dispose();
    },
  };
}

const token = jwt.sign({ workspaces: ['bench'], permissions: ['*'] }, SECRET, { subject: 'bench', expiresIn: 3600 });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const e2e = [];
for (const runtimes of [1, 2]) {
  const p = await platform(runtimes);
  try {
    const fn = await (
      await fetch(`${p.base}/compute-functions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'bench', code: CODE }),
      })
    ).json();
    const db = new pg.Client({ connectionString: p.db });
    await db.connect();
    const started = performance.now();
    await pool(RUNS, 50, async (n) => {
      const response = await fetch(`${p.base}/function-triggers/${fn.defaultTriggerId}/execute`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ n }),
      });
      if (response.status !== 200) throw new Error(`execute answered ${response.status}`);
      await response.arrayBuffer();
    });
    const accepted = performance.now();
    // Polled once a second (a count over every run costs the Postgres CPU the platform is measured with); the
    // end is the last run's `finished_at`, exact whatever the interval.
    for (;;) {
      const { rows } = await db.query(
        "SELECT count(*)::int AS done FROM runtime.runs WHERE status IN ('completed', 'failed', 'timed_out')",
      );
      if (rows[0].done >= RUNS) break;
      await sleep(1000);
    }
    const {
      rows: [last],
    } = await db.query('SELECT (extract(epoch FROM max(finished_at)) * 1000)::float8 AS at FROM runtime.runs');
    const finished = performance.now() - (Date.now() - last.at);
    const {
      rows: [twice],
    } = await db.query('SELECT count(*)::int AS n FROM runtime.runs WHERE attempt > 1');
    await db.end();
    e2e.push({
      replicas: runtimes,
      runs: RUNS,
      'accepted/s (execute API)': Math.round(RUNS / ((accepted - started) / 1000)),
      'completed/s (API -> completed)': Math.round(RUNS / ((finished - started) / 1000)),
      'runs with attempt > 1': twice.n,
    });
  } finally {
    await p.stop();
  }
}
console.log(
  `\n(b) execute API -> completed, ${RUNS} trivial runs, 50 concurrent callers (2 sandbox workers per replica)`,
);
console.table(e2e);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/runtime-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ sandbox: sandboxTable, e2e }, null, 2));
console.log(`written to ${file}`);
