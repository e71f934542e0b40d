// `npm run bench:events`: the record-event path (issue 5). In one run, on this machine:
//   (a) baseline: raw JetStream publish + consume + ack through the same Node client (msgs/s);
//   (b) baseline: the bare sandbox, a fresh isolated-vm context in a warm isolate per trivial run (as the runtime does), as many workers as the runtime;
//   (c) ours: BENCH_EVENTS record events (default 50,000), each matching 2 event-driven triggers, published by a
//       separate process with plain nats.js: runs/s from the first publish to the last run `completed`;
//   (d) ours: p50/p99 from publish to run start (and to routed) at fixed rates (default 1,000 and 200 events/s);
//   (e) ours: BENCH_FLOW_EVENTS record events (default: as many as (c)) through 2 triggers with a concurrency key on
//       every run (`concurrency: {limit: 1000, key: executionParams.recordId}`: one key per run, so no run waits and
//       the cost is the bookkeeping alone), next to (c): the ratio is the flow gate's cost.
// Prints tables; writes bench/results/events-<time>.json.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  buildProjects,
  childrenOf,
  cpuOf,
  createBenchDatabase,
  percentile,
  postgresPids,
  require,
  root,
  sleep,
  startService,
} from './lib.mjs';

const pg = require('pg');
const jwt = require('jsonwebtoken');
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager, AckPolicy } = require('@nats-io/jetstream');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const RAW = Number(process.env.BENCH_RAW_MESSAGES ?? 50_000);
const SANDBOX_RUNS = Number(process.env.BENCH_SANDBOX_RUNS ?? 5_000);
const RATES = (process.env.BENCH_RATES ?? '1000,100').split(',').map(Number);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const FLOW_EVENTS = Number(process.env.BENCH_FLOW_EVENTS ?? EVENTS);
const WORKERS = Number(process.env.SANDBOX_WORKERS ?? 2);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
// BENCH_STEPS=N: each run also does N `api.step`s (traced, each one a span).
const STEPS = Number(process.env.BENCH_STEPS ?? 0);
const CODE = `async function run() {${Array.from({ length: STEPS }, (_, i) => ` await api.step('s${i}', async () => ${i});`).join('')} return { ok: true, id: executionParams.recordId }; }`;
const exec = promisify(execFile);

buildProjects(['data-service', 'compute-runtime', 'event-router', 'testing']);

const { NatsServerProcess } = require('@signalbox/testing');
const nats = await NatsServerProcess.create();
await nats.start();

// (a) raw JetStream: publish RAW messages (pipelined) while a pull consumer consumes and acks them.
async function rawJetStream() {
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  await jsm.consumers.add('BENCH_RAW', { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  const consumer = await js.consumers.get('BENCH_RAW', 'raw');
  const started = performance.now();
  let consumed = 0;
  const done = (async () => {
    const messages = await consumer.consume({ max_messages: 512 });
    for await (const m of messages) {
      m.ack();
      if (++consumed >= RAW) break;
    }
  })();
  const body = JSON.stringify({
    event: 'record_created',
    workspaceSlug: 'bench',
    recordSlug: 'raw',
    recordId: 'r',
    data: { n: 1 },
  });
  const pending = new Set();
  for (let i = 0; i < RAW; i++) {
    while (pending.size >= 512) await Promise.race(pending);
    const p = js.publish(`bench.raw.${i % 10}`, body, { msgID: `raw-${i}` }).finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  await done;
  const seconds = (performance.now() - started) / 1000;
  await jsm.streams.delete('BENCH_RAW');
  await nc.close();
  return Math.round(RAW / seconds);
}

// (b) bare sandbox: the runtime's own pool, fresh context in a warm isolate per run.
async function bareSandbox() {
  const { SandboxPool } = require(join(root, 'apps/compute-runtime/dist/sandbox/sandbox.pool.js'));
  const sandbox = new SandboxPool({ workers: WORKERS, graceMs: 2000 });
  const job = (n) => ({
    runId: String(n),
    attempt: 1,
    workspace: 'bench',
    code: CODE,
    executionParams: { recordId: String(n) },
    triggerParams: {},
    limits: {
      memoryMb: 64,
      timeoutMs: 5000,
      cpuTimeMs: 5000,
      maxResultBytes: 1 << 20,
      maxLogLines: 100,
      maxLogBytes: 65536,
      maxFetches: 0,
    },
    fetch: { allowPrivateNetworks: false, allowedHosts: [], timeoutMs: 1000, maxResponseBytes: 1024, maxRedirects: 0 },
  });
  for (let i = 0; i < 200; i++) await sandbox.run(job(i));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS * 2 }, async () => {
      while (next < SANDBOX_RUNS) await sandbox.run(job(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sandbox.close();
  return Math.round(SANDBOX_RUNS / seconds);
}

/** An OTLP/HTTP endpoint that takes every export and keeps only the count of requests and bytes. */
async function startTracingSink() {
  const sink = { requests: 0, bytes: 0 };
  const server = createServer((request, response) => {
    request.on('data', (chunk) => (sink.bytes += chunk.length));
    request.on('end', () => {
      sink.requests++;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { sink, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
const tracingSink = process.env.BENCH_TRACING === '1' ? await startTracingSink() : null;

async function platform() {
  const database = await createBenchDatabase('bench_ev');
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    JWT_SECRET: SECRET,
    // One token drives the whole benchmark: measure the service, not its rate limits.
    RATE_LIMIT_READ_PER_MINUTE: '100000000',
    RATE_LIMIT_WRITE_PER_MINUTE: '100000000',
    RATE_LIMIT_EXECUTE_PER_MINUTE: '100000000',
    SANDBOX_WORKERS: String(WORKERS),
    // BENCH_TRACING=1: traces on, every span exported (OTLP/HTTP, protobuf) to a sink in this process.
    ...(tracingSink ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracingSink.url, OTEL_TRACES_SAMPLER: 'always_on' } : {}),
  };
  const children = [];
  const ports = {};
  const pids = {};
  for (const app of ['data-service', 'event-router', 'compute-runtime']) {
    const profile = process.env.BENCH_PROFILE === app;
    const { port, child } = await startService(
      app,
      env,
      profile ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench/results/profiles')}`] : [],
    );
    children.push(child);
    ports[app] = port;
    pids[app] = child.pid;
  }
  return {
    pids,
    base: `http://127.0.0.1:${ports['data-service']}/workspace/bench/api/v1`,
    db: database.url,
    async stop() {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
      await database.drop();
    },
  };
}

const cpuSnapshot = (p) => ({
  'event-router': cpuOf(p.pids['event-router']),
  'compute-runtime (main process)': cpuOf(p.pids['compute-runtime']),
  'sandbox workers': childrenOf(p.pids['compute-runtime']).reduce((sum, pid) => sum + cpuOf(pid), 0),
  'data-service': cpuOf(p.pids['data-service']),
  'nats-server': cpuOf(nats.pid),
  'postgres (all backends)': postgresPids().reduce((sum, pid) => sum + cpuOf(pid), 0),
});

const publish = async (burst) => {
  const { stdout } = await exec(
    process.execPath,
    [join(root, 'e2e/publisher/publish-record-events.mjs'), JSON.stringify({ url: nats.url, burst })],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
};

const raw = await rawJetStream();
console.log(`(a) raw JetStream publish + consume + ack: ${raw} msgs/s`);
const bare = await bareSandbox();
console.log(`(b) bare sandbox, fresh context per run, ${WORKERS} workers: ${bare} runs/s`);

const p = await platform();
const token = jwt.sign({ workspaces: ['bench'], permissions: ['*'] }, SECRET, { subject: 'bench', expiresIn: 3600 });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const post = async (path, body) => {
  const response = await fetch(`${p.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
};
const db = new pg.Client({ connectionString: p.db });
const results = {};
try {
  await db.connect();
  const fn = await post('/compute-functions', { name: 'bench', code: CODE });
  for (const name of ['a', 'b']) {
    for (const slug of ['load', 'paced', 'keyed']) {
      const concurrency = slug === 'keyed' ? { limit: 1000, key: 'executionParams.recordId' } : undefined;
      await post('/function-triggers', {
        name: `${slug}-${name}`,
        functionId: fn.id,
        executionType: 'event-driven',
        triggerMetadata: { event: 'record_created', recordSlug: slug, ...(concurrency && { concurrency }) },
      });
    }
  }
  await sleep(500);
  // Polled once a second: a count over every run costs Postgres CPU that the platform under test would otherwise
  // have (at 10 polls/s it was about 4% of the machine). The end time is the last run's `finished_at`, exact
  // whatever the polling interval.
  const countDone = async () =>
    (await db.query("SELECT count(*)::int AS n FROM runtime.runs WHERE status = 'completed'")).rows[0].n;
  const lastFinished = async () =>
    (await db.query('SELECT (extract(epoch FROM max(finished_at)) * 1000)::float8 AS at FROM runtime.runs')).rows[0].at;

  // (c) throughput
  const cpuBefore = cpuSnapshot(p);
  const started = Date.now();
  const published = await publish({
    workspace: 'bench',
    recordSlug: 'load',
    event: 'record_created',
    count: EVENTS,
    prefix: 'load',
  });
  const publishedAt = Date.now();
  let done = 0;
  while ((done = await countDone()) < EVENTS * 2) await sleep(1000);
  const finished = await lastFinished();
  const cpuAfter = cpuSnapshot(p);
  results.cpu = Object.keys(cpuAfter).map((process) => ({
    process,
    'CPU s': +(cpuAfter[process] - cpuBefore[process]).toFixed(1),
    'CPU ms per run': +(((cpuAfter[process] - cpuBefore[process]) * 1000) / (EVENTS * 2)).toFixed(3),
  }));
  results.cpu.push({
    process: `wall clock (x2 cores = ${(((finished - started) / 1000) * 2).toFixed(1)} CPU s available)`,
    'CPU s': +((finished - started) / 1000).toFixed(1),
  });
  const twice = (await db.query('SELECT count(*)::int AS n FROM runtime.runs WHERE attempt > 1')).rows[0].n;
  results.throughput = {
    events: published.published,
    runs: done,
    'publish events/s': Math.round(EVENTS / ((publishedAt - started) / 1000)),
    'runs/s (publish -> all completed)': Math.round(done / ((finished - started) / 1000)),
    'runs with attempt > 1': twice,
  };
  await db.query('TRUNCATE runtime.runs');

  // (e) the same burst through triggers with a concurrency key on every run.
  if (FLOW_EVENTS > 0) {
    const keyedStarted = Date.now();
    await publish({
      workspace: 'bench',
      recordSlug: 'keyed',
      event: 'record_created',
      count: FLOW_EVENTS,
      prefix: 'keyed',
    });
    let keyedDone = 0;
    while ((keyedDone = await countDone()) < FLOW_EVENTS * 2) await sleep(1000);
    const keyedFinished = await lastFinished();
    const { rows } = await db.query('SELECT count(*)::int AS n FROM runtime.flow_slots');
    results.flow = {
      events: FLOW_EVENTS,
      runs: keyedDone,
      'runs/s (publish -> all completed)': Math.round(keyedDone / ((keyedFinished - keyedStarted) / 1000)),
      'slots left held': rows[0].n,
    };
    await db.query('TRUNCATE runtime.runs');
  }

  // (d) latency at fixed rates: publish time is in the event (data.publishedAt), run start in the run row.
  results.latency = [];
  for (const rate of RATES) {
    const prefix = `paced-${rate}`;
    const count = rate * RATE_SECONDS;
    await publish({
      workspace: 'bench',
      recordSlug: 'paced',
      event: 'record_created',
      count,
      prefix,
      ratePerSecond: rate,
    });
    while ((await countDone()) < count * 2) await sleep(1000);
    const { rows } = await db.query(
      `SELECT (extract(epoch FROM started_at) * 1000 - (execution_params->'data'->>'publishedAt')::bigint) AS start_ms,
              (extract(epoch FROM queued_at) * 1000 - (execution_params->'data'->>'publishedAt')::bigint) AS queued_ms
         FROM runtime.runs WHERE execution_params->>'eventId' LIKE $1`,
      [`${prefix}-%`],
    );
    const start = rows.map((r) => Number(r.start_ms));
    results.latency.push({
      'events/s': rate,
      'runs/s offered': rate * 2,
      runs: rows.length,
      'publish -> run start p50 ms': +percentile(start, 50).toFixed(1),
      'p99 ms': +percentile(start, 99).toFixed(1),
      max: +Math.max(...start).toFixed(1),
    });
    await db.query('TRUNCATE runtime.runs');
  }
} finally {
  await db.end().catch(() => undefined);
  await p.stop();
  await nats.dispose();
}

const ceiling = Math.min(raw, bare);
const ours = results.throughput['runs/s (publish -> all completed)'];
console.log(`\n(a), (b) baselines measured in this run`);
console.table([
  { baseline: 'raw JetStream publish + consume + ack (Node client)', 'per second': raw },
  { baseline: `bare sandbox: fresh context per trivial run, ${WORKERS} workers`, 'per second': bare },
]);
console.log(`\n(c) ${EVENTS} record events x 2 matching triggers (1 router, 1 runtime with ${WORKERS} workers)`);
console.table([{ ...results.throughput, 'ratio to the lower baseline': +(ours / ceiling).toFixed(2) }]);
console.log('\nwhere the CPU went during (c) (the publisher process is not counted)');
console.table(results.cpu);
if (results.flow) {
  const keyed = results.flow['runs/s (publish -> all completed)'];
  console.log(`\n(e) ${FLOW_EVENTS} record events x 2 triggers with a concurrency key on every run, next to (c)`);
  console.table([
    { path: '(c) no flow control', events: EVENTS, 'runs/s': ours },
    {
      path: '(e) concurrency key on every run',
      events: FLOW_EVENTS,
      'runs/s': keyed,
      'slots left held': results.flow['slots left held'],
      'ratio to (c)': +(keyed / ours).toFixed(2),
    },
  ]);
}
console.log(`\n(d) publish -> run start, ${RATE_SECONDS} s at each fixed rate, 2 triggers per event`);
console.table(results.latency);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/events-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ raw, bare, ...results }, null, 2));
console.log(`written to ${file}`);
if (tracingSink) {
  console.log(
    `traces on: ${tracingSink.sink.requests} OTLP exports, ${(tracingSink.sink.bytes / 1e6).toFixed(1)} MB received by the sink`,
  );
  tracingSink.close();
}
