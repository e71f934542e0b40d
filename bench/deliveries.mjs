// `npm run bench:deliveries`: outbound webhooks (issue 8). In one run, on this machine, to a local receiver
// (a plain node:http server in this process that answers 200 and notes the time):
//   baseline: raw undici POSTs of the same signed body (HMAC-SHA256 per request), BENCH_CONCURRENCY at once;
//   ours:     BENCH_DELIVERIES record events (default 5,000) published by a separate process with plain nats.js,
//             routed by event-router into `record.created`, fanned out and delivered by webhook-gateway to one
//             subscription: deliveries/s from the first publish to the last receipt, and p50/p99 from publish to
//             receipt; then the same at a fixed rate (BENCH_RATE, default 200/s) for the latency without a backlog.
// The subscription is put into the `webhooks` KV bucket as data-service would (secret sealed with the
// development key). Prints a table with the ratio; writes bench/results/deliveries-<time>.json.
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  buildProjects,
  cpuOf,
  markConfigBucketsFilled,
  createBenchDatabase,
  postgresCpu,
  percentile,
  require,
  root,
  sleep,
  startService,
} from './lib.mjs';

const { connect } = require('@nats-io/transport-node');
const { Kvm } = require('@nats-io/kv');
const { Pool } = require('undici');

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const exec = promisify(execFile);

buildProjects(['event-router', 'webhook-gateway', 'testing', 'crypto']);
const { NatsServerProcess } = require('@signalbox/testing');
const { SecretSealer, DEVELOPMENT_SECRET_KEYS } = require('@signalbox/crypto');

// The receiver: counts requests per path and keeps the latency from the record's publish time.
const receipts = new Map();
const receiver = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const now = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const sent = body.data?.record?.publishedAt ?? body.sentAt;
    const list = receipts.get(request.url) ?? [];
    list.push(now - sent);
    receipts.set(request.url, list);
    response.writeHead(200).end('OK');
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;
const receivedAt = (path, count, timeoutMs) =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if ((receipts.get(path)?.length ?? 0) >= count) return resolve(Date.now());
      if (Date.now() > deadline) return reject(new Error(`${path}: ${receipts.get(path)?.length ?? 0} of ${count}`));
      setTimeout(check, 5);
    };
    check();
  });

// Baseline: what a minimal sender does per delivery (HMAC the body, POST it with undici), nothing durable.
async function baseline() {
  const pool = new Pool(receiverUrl, { connections: CONCURRENCY });
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DELIVERIES) {
        const i = next++;
        const body = JSON.stringify({
          id: `evt-${i}`,
          event: 'record.created',
          sentAt: Date.now(),
          padding: 'x'.repeat(200),
        });
        const signature = `sha256=${createHmac('sha256', 'whsec_bench').update(body).digest('hex')}`;
        const response = await pool.request({
          path: '/raw',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-centrali-signature': signature },
          body,
        });
        await response.body.dump();
      }
    }),
  );
  const elapsed = Date.now() - started;
  await pool.close();
  const latencies = receipts.get('/raw');
  return {
    case: 'baseline: undici POST + HMAC, nothing stored',
    deliveries: DELIVERIES,
    'deliveries/s': Math.round(DELIVERIES / (elapsed / 1000)),
    'p50 ms': percentile(latencies, 50),
    'p99 ms': percentile(latencies, 99),
  };
}

const nats = await NatsServerProcess.create();
await nats.start();
await markConfigBucketsFilled(nats.url);
const database = await createBenchDatabase('bench_deliveries');
const env = {
  PATH: process.env.PATH,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: database.url,
  NATS_URL: nats.url,
  FETCH_ALLOWED_HOSTS: '127.0.0.1',
};
const children = [];
try {
  const rawResult = await baseline();
  const router = await startService('event-router', env);
  children.push(router.child);
  // BENCH_PROFILE=<dir>: the gateway writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const gateway = await startService('webhook-gateway', env, profile);
  children.push(gateway.child);
  // CPU seconds of each process of the path, to say where a delivery's time goes.
  const cpuSnapshot = () => ({
    'webhook-gateway': cpuOf(gateway.child.pid),
    'event-router': cpuOf(router.child.pid),
    'nats-server': cpuOf(nats.pid),
    'postgres (all backends)': postgresCpu(),
    'bench process (receiver)': process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  });

  const nc = await connect({ servers: nats.url });
  const sealer = await SecretSealer.create({
    version: DEVELOPMENT_SECRET_KEYS.version,
    key: DEVELOPMENT_SECRET_KEYS.publicKey,
  });
  const subscribe = async (path) => {
    const id = randomUUID();
    const config = {
      id,
      workspaceSlug: 'bench',
      url: `${receiverUrl}${path}`,
      events: ['record.created'],
      filters: { structure: path.slice(1) },
      retrySchedule: [1, 5, 15],
      enabled: true,
      secret: await sealer.seal('whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC1iZW5jaCE=', {
        workspace: 'bench',
        ownerId: id,
        param: 'secret',
      }),
      previousSecret: null,
      previousSecretUntil: null,
      createdAt: new Date(Date.now() - 60_000).toISOString(),
      version: 1,
      updatedAt: new Date().toISOString(),
    };
    await (await new Kvm(nc).open('webhooks')).put(`bench.${id}`, JSON.stringify(config));
  };
  await subscribe('/burst');
  await subscribe('/steady');
  await sleep(500);
  await nc.close();

  const publish = (burst) =>
    exec(process.execPath, [
      join(root, 'e2e/publisher/publish-record-events.mjs'),
      JSON.stringify({ url: nats.url, burst: { workspace: 'bench', event: 'record_created', ...burst } }),
    ]);

  const started = Date.now();
  const cpuBefore = cpuSnapshot();
  await publish({ recordSlug: 'burst', count: DELIVERIES, prefix: `burst-${randomUUID()}` });
  const done = await receivedAt('/burst', DELIVERIES, 300_000);
  const cpuAfter = cpuSnapshot();
  const cpu = Object.keys(cpuAfter).map((name) => ({
    process: name,
    'CPU s': +(cpuAfter[name] - cpuBefore[name]).toFixed(2),
    'CPU µs per delivery': Math.round(((cpuAfter[name] - cpuBefore[name]) * 1e6) / DELIVERIES),
  }));
  cpu.push({
    process: `wall clock (x2 cores = ${(((done - started) / 1000) * 2).toFixed(1)} CPU s available)`,
    'CPU s': +((done - started) / 1000).toFixed(2),
    'CPU µs per delivery': '',
  });
  const burst = receipts.get('/burst');
  const ours = {
    case: 'ours: record event -> router -> gateway -> signed POST (stored, durable)',
    deliveries: DELIVERIES,
    'deliveries/s': Math.round(DELIVERIES / ((done - started) / 1000)),
    'p50 ms': percentile(burst, 50),
    'p99 ms': percentile(burst, 99),
  };
  const steadyCount = RATE * RATE_SECONDS;
  await publish({ recordSlug: 'steady', count: steadyCount, prefix: `steady-${randomUUID()}`, ratePerSecond: RATE });
  await receivedAt('/steady', steadyCount, 60_000);
  const steady = receipts.get('/steady');
  const atRate = {
    case: `ours at ${RATE} events/s for ${RATE_SECONDS} s (no backlog)`,
    deliveries: steadyCount,
    'deliveries/s': RATE,
    'p50 ms': percentile(steady, 50),
    'p99 ms': percentile(steady, 99),
  };
  const results = [rawResult, ours, atRate];
  for (const result of results) result['vs baseline'] = (result['deliveries/s'] / rawResult['deliveries/s']).toFixed(2);
  atRate['vs baseline'] = '(fixed rate)';
  console.log(`\noutbound webhooks to a local receiver (${CONCURRENCY} concurrent baseline requests)`);
  console.table(results);
  console.log('\nwhere the CPU went during the burst (the publisher process is not counted)');
  console.table(cpu);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/deliveries-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ results, cpu }, null, 2));
  console.log(`written to ${file}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  receiver.close();
  await nats.dispose();
  await database.drop();
}
