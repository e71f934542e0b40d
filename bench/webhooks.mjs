// `npm run bench:webhooks`: inbound webhooks and endpoint triggers (issue 7). With autocannon
// (BENCH_CONNECTIONS, default 50, for BENCH_DURATION seconds, default 10, after a 2 s warm-up):
// (a) accept rate, 1 KB JSON body, BENCH_ROUNDS rounds (default 2) with the case order rotated each round:
//   floor:  a plain Fastify route answering 202, and the same plus one JetStream publish (the durable floor);
//   ours:   webhook-gateway accepting an unsigned webhook, an hmac-sha256-signed one, and a redelivery
//           (Idempotency-Key seen before: a KV read and no publish). No runtime runs: the runs wait in EXECUTIONS.
// (b) endpoint-trigger round trip for a trivial function (request -> run recorded and executed in the sandbox
//   -> result), at 1 connection (latency) and at BENCH_CONNECTIONS (throughput), next to a plain Fastify route
//   answering the same JSON. One compute-runtime with its default 2 sandbox workers.
// Services run from their builds over a private nats-server; trigger and function configs are put into the KV
// buckets as data-service would. Prints tables with ratios to the floors; writes bench/results/webhooks-<time>.json.
import { fork } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildProjects,
  cpuOf,
  markConfigBucketsFilled,
  createBenchDatabase,
  freePort,
  require,
  root,
  startService,
} from './lib.mjs';

const autocannon = require('autocannon');
const { connect } = require('@nats-io/transport-node');
const { Kvm } = require('@nats-io/kv');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

buildProjects(['webhook-gateway', 'compute-runtime', 'testing']);
const { NatsServerProcess } = require('@signalbox/testing');

const run = (options) =>
  new Promise((resolve, reject) =>
    autocannon({ connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result))),
  );
/** One case: req/s, latency, and (given the serving process) the CPU each request cost it and nats-server. */
async function measure(name, options, serverPid) {
  await run({ ...options, duration: 2 });
  const cpuBefore = { server: cpuOf(serverPid), nats: cpuOf(nats.pid) };
  const result = await run({ ...options, duration: DURATION });
  const perRequest = (seconds) => +((seconds * 1e6) / Math.max(1, result.requests.total)).toFixed(0);
  return {
    case: name,
    connections: options.connections ?? CONNECTIONS,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
    ...(serverPid
      ? {
          'server CPU µs/req': perRequest(cpuOf(serverPid) - cpuBefore.server),
          'nats CPU µs/req': perRequest(cpuOf(nats.pid) - cpuBefore.nats),
        }
      : {}),
  };
}

const body = JSON.stringify({
  type: 'invoice.paid',
  data: {
    object: { id: 'in_1', customer: 'cus_1', lines: Array.from({ length: 12 }, (_, i) => ({ n: i, amount: 4200 })) },
  },
  padding: 'x'.repeat(600),
});
const HMAC_SECRET = 'bench-hmac-secret';

const nats = await NatsServerProcess.create();
await nats.start();
await markConfigBucketsFilled(nats.url);
const database = await createBenchDatabase('bench_wh');
const baselinePort = await freePort();
const baseline = fork(join(root, 'bench/baseline-server.mjs'), [], {
  env: { ...process.env, PORT: String(baselinePort), NATS_URL: nats.url },
  stdio: 'ignore',
});
await new Promise((resolve) => baseline.once('message', resolve));
const serviceEnv = {
  PATH: process.env.PATH,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: database.url,
  NATS_URL: nats.url,
};
const PROFILE_DIR = join(root, 'bench/results/profiles');
const profile = process.env.BENCH_PROFILE === 'webhook-gateway' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
if (profile.length > 0) mkdirSync(PROFILE_DIR, { recursive: true });
const { port, child } = await startService(
  'webhook-gateway',
  {
    ...serviceEnv,
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
    // No runtime consumes the runs the webhooks queue: past the default 50,000 in flight the workspace's quota would
    // answer 429, fast, and those refusals would count as accepted requests.
    RUNS_IN_FLIGHT_PER_WORKSPACE: '100000000',
  },
  profile,
);
const children = [child];

try {
  const nc = await connect({ servers: nats.url });
  const kv = await new Kvm(nc).open('triggers');
  const trigger = (path, params, executionType = 'webhook', functionId = randomUUID()) => {
    const id = randomUUID();
    return kv.put(
      `bench.${id}`,
      JSON.stringify({
        id,
        workspaceSlug: 'bench',
        name: path,
        functionId,
        executionType,
        triggerMetadata: { path, params },
        enabled: true,
        isSystem: false,
        version: 1,
        updatedAt: new Date().toISOString(),
      }),
    );
  };
  await trigger('/plain', {});
  await trigger('/signed', { provider: 'hmac-sha256', validateSignature: true, signingSecret: HMAC_SECRET });
  await trigger('/dupes', {});
  await new Promise((resolve) => setTimeout(resolve, 500));

  const gateway = `http://127.0.0.1:${port}/workspace/bench/api/v1/webhook`;
  const json = { 'content-type': 'application/json' };
  // The redelivery case: every request repeats one delivery id, seen once before the measurement.
  const dupeKey = randomUUID();
  await fetch(`${gateway}/dupes`, { method: 'POST', headers: { ...json, 'idempotency-key': dupeKey }, body });

  let signedCount = 0;
  const signedRequest = (request) => {
    const unique = body.replace(/x{36}/, randomUUID());
    signedCount++;
    return {
      ...request,
      body: unique,
      headers: { ...request.headers, 'x-signature': createHmac('sha256', HMAC_SECRET).update(unique).digest('hex') },
    };
  };
  const cases = [
    ['floor: Fastify POST -> 202', { url: `http://127.0.0.1:${baselinePort}/hook`, headers: json }, baseline.pid],
    [
      'floor: Fastify POST + 1 JetStream publish -> 202',
      { url: `http://127.0.0.1:${baselinePort}/hook-durable`, headers: json },
      baseline.pid,
    ],
    ['webhook, unsigned -> 202 (run + trigger.fired stored)', { url: `${gateway}/plain`, headers: json }, child.pid],
    [
      'webhook, hmac-sha256 signed -> 202',
      {
        url: `${gateway}/signed`,
        // Every request a new body of the same size, signed: the same signed bytes twice are a replay, answered as a
        // duplicate from the KV bucket, not a new run (measured that way until this session).
        requests: [{ setupRequest: signedRequest }],
        headers: json,
      },
      child.pid,
    ],
    [
      'webhook, redelivery -> 202 duplicate (KV read)',
      { url: `${gateway}/dupes`, headers: { ...json, 'idempotency-key': dupeKey } },
      child.pid,
    ],
  ];
  // Each round starts one case later, so no case always runs first (warm-up) or last (a full stream).
  const rounds = new Map(cases.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const [name, options, pid] = cases[(i + round) % cases.length];
      rounds.get(name).push(await measure(name, { ...options, method: 'POST', body }, pid));
    }
  }
  const accepts = cases.map(([name]) => {
    const measured = rounds.get(name);
    const mean = (key) => Math.round(measured.reduce((sum, m) => sum + m[key], 0) / measured.length);
    return {
      case: name,
      'req/s': mean('req/s'),
      'req/s per round': measured.map((m) => m['req/s']).join(' / '),
      'p50 ms': mean('p50 ms'),
      'p99 ms': mean('p99 ms'),
      'non-2xx': measured.reduce((sum, m) => sum + m['non-2xx'], 0),
      errors: measured.reduce((sum, m) => sum + m.errors, 0),
      'server CPU µs/req': mean('server CPU µs/req'),
      'nats CPU µs/req': mean('nats CPU µs/req'),
    };
  });
  // What the gateway did with the requests: a case that measured duplicates or refusals as accepts shows here.
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const outcomes = Object.fromEntries(
    [...metrics.matchAll(/^signalbox_inbound_webhooks_total\{outcome="([a-z_]+)"[^}]*\} (\d+)/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );
  const [plainFloor, durableFloor] = accepts;
  for (const result of accepts) {
    result['vs Fastify'] = (result['req/s'] / plainFloor['req/s']).toFixed(2);
    result['vs Fastify+JetStream'] = (result['req/s'] / durableFloor['req/s']).toFixed(2);
  }
  console.log(
    `\n(a) inbound webhooks, ${CONNECTIONS} connections, ${DURATION} s per case, ${ROUNDS} rounds, 1 KB JSON body`,
  );
  console.table(accepts);
  console.log(`the gateway's outcomes: ${JSON.stringify(outcomes)} (${signedCount} signed requests sent, each new)`);

  // (b) Endpoint triggers: a runtime joins. The webhook runs of (a) are dropped first, so that it only runs
  // the endpoint calls.
  const { jetstreamManager } = require('@nats-io/jetstream');
  await (await jetstreamManager(nc)).streams.purge('EXECUTIONS');
  const functionId = randomUUID();
  await (
    await new Kvm(nc).open('functions')
  ).put(
    `bench.${functionId}`,
    JSON.stringify({
      id: functionId,
      workspaceSlug: 'bench',
      name: 'trivial',
      code: 'async function run() { return { ok: true, n: executionParams.query.n ?? null }; }',
      timeoutMs: 5000,
      memoryMb: 64,
      version: 1,
      updatedAt: new Date().toISOString(),
    }),
  );
  await trigger('/trivial', {}, 'endpoint', functionId);
  children.push((await startService('compute-runtime', serviceEnv)).child);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await nc.close();
  const endpoint = `http://127.0.0.1:${port}/workspace/bench/api/v1/endpoints/trivial?n=1`;
  const check = await fetch(endpoint, { method: 'POST', headers: json, body: '{}' });
  if (check.status !== 200) throw new Error(`the endpoint answered ${check.status}: ${await check.text()}`);
  const callBody = JSON.stringify({ n: 1 });
  const floorCall = { url: `http://127.0.0.1:${baselinePort}/call?n=1`, method: 'POST', headers: json, body: callBody };
  const endpointCall = { url: endpoint, method: 'POST', headers: json, body: callBody };
  const calls = [];
  for (const connections of [1, CONNECTIONS]) {
    calls.push(await measure('floor: Fastify POST -> 200 JSON', { ...floorCall, connections }));
    calls.push(await measure('endpoint trigger, trivial function -> 200', { ...endpointCall, connections }));
  }
  for (let i = 0; i < calls.length; i += 2) {
    const [floor, ours] = [calls[i], calls[i + 1]];
    floor['vs Fastify (req/s)'] = '1.00';
    ours['vs Fastify (req/s)'] = (ours['req/s'] / floor['req/s']).toFixed(2);
    ours['p50 over Fastify ms'] = ours['p50 ms'] - floor['p50 ms'];
  }
  console.log(`\n(b) endpoint triggers: round trip, ${DURATION} s per case (1 runtime, 2 sandbox workers)`);
  console.table(calls);

  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/webhooks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ accepts, rounds: Object.fromEntries(rounds), calls }, null, 2));
  console.log(`written to ${file}`);
} finally {
  baseline.kill('SIGTERM');
  for (const running of children) running.kill('SIGTERM');
  await Promise.all(children.map((running) => new Promise((resolve) => running.once('exit', resolve))));
  await nats.dispose();
  await database.drop();
}
