// `npm run bench:bulk`: bulk jobs over runs (docs/run-control.md). BENCH_BULK_RUNS (default 50,000) runs are
// written straight into runtime.runs, then:
// (a) floor: one UPDATE of all of them to the status a bulk job sets (Postgres alone, same rows shape);
// (b) bulk cancel of that many queued runs: runs/s from the request to the job's `completed`;
// (c) bulk retry of that many failed runs: runs/s queued again (each with its outbox message, published).
// One compute-runtime with no sandbox work to speak of: the retried runs fail at once (their function throws),
// so the runtime also executes them while the job queues them, as in production. Prints a table; writes
// bench/results/bulk-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildProjects,
  createBenchDatabase,
  require,
  root,
  serviceEnv,
  sleep,
  startService,
  UNLIMITED,
} from './lib.mjs';

const RUNS = Number(process.env.BENCH_BULK_RUNS ?? 50_000);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const pg = require('pg');
const jwt = require('jsonwebtoken');
const { NatsServerProcess } = require('@signalbox/testing');

buildProjects(['data-service', 'compute-runtime', 'testing']);

const nats = await NatsServerProcess.create();
await nats.start();
const database = await createBenchDatabase('bench_bulk');
const env = serviceEnv(database.url, nats.url, { JWT_SECRET: SECRET, ...UNLIMITED, SANDBOX_WORKERS: '2' });
const children = [];
const db = new pg.Client({ connectionString: database.url });
try {
  const { port, child } = await startService('data-service', env);
  children.push(child);
  children.push((await startService('compute-runtime', env)).child);
  await db.connect();
  const base = `http://127.0.0.1:${port}/workspace/bench/api/v1`;
  const token = jwt.sign({ workspaces: ['bench'], permissions: ['*'] }, SECRET, { subject: 'bench', expiresIn: 3600 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const api = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const fn = await api('POST', '/compute-functions', {
    name: 'bulk',
    code: 'async function run() { throw new Error("no"); }',
  });
  const write = (status) =>
    db.query(
      `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, requested_by, attempt, finished_at)
       SELECT gen_random_uuid(), 'bench', $1, $2, $3, 'bench', 1, CASE WHEN $3 = 'failed' THEN now() END
         FROM generate_series(1, $4)`,
      [fn.defaultTriggerId, fn.id, status, RUNS],
    );
  const bulk = async (action, status) => {
    const started = performance.now();
    const job = await api('POST', '/function-runs/bulk', { action, filter: { functionId: fn.id, status } });
    for (;;) {
      const now = await api('GET', `/function-runs/bulk/${job.id}`);
      if (now.status !== 'running') return { ...now, seconds: (performance.now() - started) / 1000 };
      await sleep(250);
    }
  };

  // (a) the floor: Postgres alone, one statement over the same number of rows
  await write('queued');
  let started = performance.now();
  await db.query(`UPDATE runtime.runs SET status = 'cancelled', finished_at = now() WHERE function_id = $1`, [fn.id]);
  const floorSeconds = (performance.now() - started) / 1000;
  await db.query('DELETE FROM runtime.runs WHERE function_id = $1', [fn.id]);

  // (b) bulk cancel
  await write('queued');
  const cancelled = await bulk('cancel', 'queued');
  await db.query('DELETE FROM runtime.runs WHERE function_id = $1', [fn.id]);

  // (c) bulk retry
  await write('failed');
  const retried = await bulk('retry', 'failed');

  const rows = [
    { case: `floor: one UPDATE of ${RUNS} runs (Postgres alone)`, runs: RUNS, seconds: floorSeconds },
    { case: 'bulk cancel of queued runs (request -> completed)', runs: cancelled.acted, seconds: cancelled.seconds },
    { case: 'bulk retry of failed runs (queued again, messages out)', runs: retried.acted, seconds: retried.seconds },
  ].map((row) => ({
    ...row,
    seconds: +row.seconds.toFixed(2),
    'runs/s': Math.round(row.runs / row.seconds),
    'vs floor': +(row.runs / row.seconds / (RUNS / floorSeconds)).toFixed(2),
  }));
  console.log(`\nbulk jobs over ${RUNS} runs (1 compute-runtime, pages of 500)`);
  console.table(rows);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/bulk-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ runs: RUNS, rows }, null, 2));
  console.log(`written to ${file}`);
} finally {
  await db.end().catch(() => undefined);
  for (const child of children) child.kill('SIGTERM');
  await sleep(1500);
  await database.drop();
  await nats.dispose();
}
