// `npm run bench:fairness`: one workspace's backlog must not hold back another's runs. Workspace alpha queues
// BENCH_BACKLOG (10,000) CPU-heavy runs (BENCH_HEAVY_MS of busy loop each); meanwhile workspace beta executes one
// trivial run every 250 ms, and each reports when its code started. The floor is the same beta run on the same
// platform with nothing else queued, measured first in the same run. Prints a table; writes
// bench/results/fairness-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildProjects,
  createBenchDatabase,
  percentile,
  require,
  root,
  serviceEnv,
  sleep,
  startService,
  UNLIMITED,
} from './lib.mjs';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000);
const HEAVY_MS = Number(process.env.BENCH_HEAVY_MS ?? 50);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const jwt = require('jsonwebtoken');

buildProjects(['data-service', 'compute-runtime', 'testing']);
const { NatsServerProcess } = require('@signalbox/testing');
const nats = await NatsServerProcess.create();
await nats.start();
const database = await createBenchDatabase('bench_fair');
const env = serviceEnv(database.url, nats.url, { JWT_SECRET: SECRET, ...UNLIMITED, SANDBOX_WORKERS: '2' });
const children = [];
const data = await startService('data-service', env);
children.push(data.child);
children.push((await startService('compute-runtime', env)).child);

const client = (workspace) => {
  const token = jwt.sign({ workspaces: [workspace], permissions: ['*'] }, SECRET, {
    subject: workspace,
    expiresIn: 3600,
  });
  const base = `http://127.0.0.1:${data.port}/workspace/${workspace}/api/v1`;
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
};
const alpha = client('alpha');
const beta = client('beta');
const create = async (api, name, code) => (await api('POST', '/compute-functions', { name, code })).body;

const heavy = await create(
  alpha,
  'heavy',
  `async function run() { const end = Date.now() + ${HEAVY_MS}; while (Date.now() < end) {} return 1; }`,
);
const light = await create(beta, 'light', 'async function run() { return { startedAt: Date.now() }; }');

/** One beta run: from the execute request to its code running, in ms (null if it did not start in 20 s). */
async function betaStartDelay() {
  const sent = Date.now();
  const { body } = await beta('POST', `/function-triggers/${light.defaultTriggerId}/execute`, {});
  for (let i = 0; i < 400; i++) {
    const run = (await beta('GET', `/function-runs/${body.jobId}`)).body;
    if (run.status === 'completed') return run.result.startedAt - sent;
    await sleep(50);
  }
  return null;
}

async function sample(label, backlogLeft) {
  const pending = [];
  for (let i = 0; i < SAMPLES; i++) {
    pending.push(betaStartDelay());
    await sleep(250);
  }
  const results = await Promise.all(pending);
  const delays = results.filter((delay) => delay !== null);
  const missed = results.length - delays.length;
  return {
    case: label,
    samples: SAMPLES,
    'p50 ms': delays.length ? percentile(delays, 50) : null,
    'p99 ms': delays.length ? percentile(delays, 99) : null,
    'max ms': delays.length ? Math.max(...delays) : null,
    'not started in 20 s': missed,
    'alpha runs still queued': await backlogLeft(),
  };
}

const pg = require('pg');
const db = new pg.Client({ connectionString: database.url });
await db.connect();
const alphaDone = async () =>
  (
    await db.query(
      "SELECT count(*)::int AS n FROM runtime.runs WHERE workspace_slug = 'alpha' AND status IN ('completed', 'failed', 'timed_out')",
    )
  ).rows[0].n;

const rows = [];
let queuedMs = 0;
try {
  await betaStartDelay(); // warm
  rows.push(await sample('beta alone (floor)', async () => 0));

  console.log(`queueing ${BACKLOG} runs of ${HEAVY_MS} ms in alpha...`);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < BACKLOG) {
        next++;
        const { status } = await alpha('POST', `/function-triggers/${heavy.defaultTriggerId}/execute`, {});
        if (status !== 200) throw new Error(`alpha execute answered ${status}`);
      }
    }),
  );
  queuedMs = Math.round(performance.now() - t0);
  console.log(`queued in ${queuedMs} ms`);
  rows.push(await sample(`beta behind alpha's ${BACKLOG} heavy runs`, async () => BACKLOG - (await alphaDone())));
} finally {
  await db.end();
  for (const child of children) child.kill('SIGTERM');
  await sleep(1500);
  await database.drop();
  await nats.dispose();
}

console.log(`\nbeta's start delay (execute request -> its code running), one run every 250 ms, 1 runtime, 2 workers`);
console.table(rows);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/fairness-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ backlog: BACKLOG, heavyMs: HEAVY_MS, rows }, null, 2));
console.log(`written: ${file}`);
