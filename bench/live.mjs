// `npm run bench:live`: what open live streams (`GET /live`) cost one data-service replica. Opens BENCH_STREAMS
// (1,000) streams of one workspace, then executes BENCH_RUNS runs (3 live events each: queued, running,
// completed) and checks every stream saw every event. The floor is the same runs with no stream open, measured
// first in the same run. Prints a table of data-service's CPU time and resident memory (from /proc) per phase;
// writes bench/results/live-<time>.json.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
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

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const jwt = require('jsonwebtoken');
const TICKS = 100; // clock ticks per second on Linux

buildProjects(['data-service', 'compute-runtime', 'testing']);
const { NatsServerProcess } = require('@signalbox/testing');
const nats = await NatsServerProcess.create();
await nats.start();
const database = await createBenchDatabase('bench_live');
const env = serviceEnv(database.url, nats.url, {
  JWT_SECRET: SECRET,
  ...UNLIMITED,
  LIVE_STREAMS_PER_WORKSPACE: '5000',
});
const data = await startService('data-service', env);
const runtime = await startService('compute-runtime', env);

/** data-service's CPU seconds so far and resident memory now, from /proc. */
function usage() {
  const stat = readFileSync(`/proc/${data.child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${data.child.pid}/status`, 'utf8'))[1]) / 1024;
  return { cpu, rss };
}

const token = jwt.sign({ workspaces: ['acme'], permissions: ['*'] }, SECRET, { subject: 'bench', expiresIn: 3600 });
const base = `http://127.0.0.1:${data.port}/workspace/acme/api/v1`;
const call = async (method, path, body) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
};

/** One open stream that counts the events it receives. */
async function openStream() {
  const controller = new AbortController();
  const response = await fetch(`${base}/live?topics=run`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`GET /live answered ${response.status}`);
  const stream = { events: 0, close: () => controller.abort() };
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body) stream.events += decoder.decode(chunk).split('\ndata: ').length - 1;
  })().catch(() => undefined);
  return stream;
}

const fn = await call('POST', '/compute-functions', { name: 'noop', code: 'async function run() { return 1; }' });

/** Executes RUNS runs, 20 at a time, and waits until every one is recorded finished. */
async function phase(label, streams) {
  const before = usage();
  const t0 = performance.now();
  let next = 0;
  const jobs = [];
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < RUNS) {
        next++;
        jobs.push((await call('POST', `/function-triggers/${fn.defaultTriggerId}/execute`, {})).jobId);
      }
    }),
  );
  for (const jobId of jobs.slice(-20)) {
    for (let run = await call('GET', `/function-runs/${jobId}`); ['queued', 'running'].includes(run.status);) {
      await sleep(50);
      run = await call('GET', `/function-runs/${jobId}`);
    }
  }
  await sleep(500); // the last announcements reach the streams
  const seconds = (performance.now() - t0) / 1000;
  const after = usage();
  const expected = RUNS * 3;
  const complete = streams.filter((s) => s.events >= expected).length;
  return {
    phase: label,
    streams: streams.length,
    'runs/s': Math.round(RUNS / seconds),
    'data-service CPU s': +(after.cpu - before.cpu).toFixed(2),
    'CPU ms per run': +(((after.cpu - before.cpu) * 1000) / RUNS).toFixed(2),
    'RSS MB': Math.round(after.rss),
    'streams with every event': streams.length ? `${complete}/${streams.length}` : '-',
  };
}

const rows = [];
const streams = [];
try {
  await phase('warm-up', []);
  for (const stream of streams) stream.events = 0;
  const idle = usage();
  rows.push({ phase: 'idle, no stream', streams: 0, 'RSS MB': Math.round(idle.rss) });
  rows.push(await phase(`${RUNS} runs, no stream (floor)`, []));

  const t0 = performance.now();
  for (let i = 0; i < STREAMS; i += 50)
    streams.push(...(await Promise.all(Array.from({ length: Math.min(50, STREAMS - i) }, openStream))));
  const opened = usage();
  const cpu0 = opened.cpu;
  await sleep(10_000);
  const quiet = usage();
  rows.push({
    phase: `${STREAMS} streams open, 10 s quiet`,
    streams: STREAMS,
    'data-service CPU s': +(quiet.cpu - cpu0).toFixed(2),
    'RSS MB': Math.round(quiet.rss),
    'opened in ms': Math.round(performance.now() - t0 - 10_000),
  });
  rows.push(await phase(`${RUNS} runs, ${STREAMS} streams`, streams));
} finally {
  for (const stream of streams) stream.close();
  data.child.kill('SIGTERM');
  runtime.child.kill('SIGTERM');
  await sleep(1500);
  await database.drop();
  await nats.dispose();
}

console.log(`\nlive streams on one data-service replica (1 compute-runtime); CPU and memory of data-service`);
console.table(rows);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/live-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ streams: STREAMS, runs: RUNS, rows }, null, 2));
console.log(`written: ${file}`);
process.exit(0);
