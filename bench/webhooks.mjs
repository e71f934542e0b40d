// `npm run bench:webhooks`: inbound webhooks (issue 7). In one run, with autocannon (BENCH_CONNECTIONS, default
// 50, for BENCH_DURATION seconds, default 10, after a 2 s warm-up), a 1 KB JSON body:
//   floor:  a plain Fastify route answering 202, and the same plus one JetStream publish (the durable floor);
//   ours:   webhook-gateway accepting an unsigned webhook, an hmac-sha256-signed one, and a redelivery
//           (Idempotency-Key seen before: a KV read and no publish).
// The gateway runs from its build over a private nats-server; its trigger configs are put into the `triggers`
// KV bucket as data-service would. No runtime runs: the runs wait in EXECUTIONS. Prints a table with the ratio
// of each case to the floors; writes bench/results/webhooks-<time>.json.
import { fork } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildProjects, createBenchDatabase, freePort, require, root, startService } from './lib.mjs';

const autocannon = require('autocannon');
const { connect } = require('@nats-io/transport-node');
const { Kvm } = require('@nats-io/kv');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

buildProjects(['webhook-gateway', 'testing']);
const { NatsServerProcess } = require('@signalbox/testing');

const run = (options) =>
  new Promise((resolve, reject) =>
    autocannon({ connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result))),
  );
async function measure(name, options) {
  await run({ ...options, duration: 2 });
  const result = await run({ ...options, duration: DURATION });
  return {
    case: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'non-2xx': result.non2xx,
    errors: result.errors + result.timeouts,
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
const database = await createBenchDatabase('bench_wh');
const baselinePort = await freePort();
const baseline = fork(join(root, 'bench/baseline-server.mjs'), [], {
  env: { ...process.env, PORT: String(baselinePort), NATS_URL: nats.url },
  stdio: 'ignore',
});
await new Promise((resolve) => baseline.once('message', resolve));
const { port, child } = await startService('webhook-gateway', {
  PATH: process.env.PATH,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: database.url,
  NATS_URL: nats.url,
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
});

try {
  const nc = await connect({ servers: nats.url });
  const kv = await new Kvm(nc).open('triggers');
  const trigger = (path, params) => {
    const id = randomUUID();
    return kv.put(
      `bench.${id}`,
      JSON.stringify({
        id,
        workspaceSlug: 'bench',
        name: path,
        functionId: randomUUID(),
        executionType: 'webhook',
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
  await nc.close();

  const gateway = `http://127.0.0.1:${port}/workspace/bench/api/v1/webhook`;
  const json = { 'content-type': 'application/json' };
  // The redelivery case: every request repeats one delivery id, seen once before the measurement.
  const dupeKey = randomUUID();
  await fetch(`${gateway}/dupes`, { method: 'POST', headers: { ...json, 'idempotency-key': dupeKey }, body });

  const results = [
    await measure('floor: Fastify POST -> 202', {
      url: `http://127.0.0.1:${baselinePort}/hook`,
      method: 'POST',
      headers: json,
      body,
    }),
    await measure('floor: Fastify POST + 1 JetStream publish -> 202', {
      url: `http://127.0.0.1:${baselinePort}/hook-durable`,
      method: 'POST',
      headers: json,
      body,
    }),
    await measure('webhook, unsigned -> 202 (run + trigger.fired stored)', {
      url: `${gateway}/plain`,
      method: 'POST',
      headers: json,
      body,
    }),
    await measure('webhook, hmac-sha256 signed -> 202', {
      url: `${gateway}/signed`,
      method: 'POST',
      headers: { ...json, 'x-signature': createHmac('sha256', HMAC_SECRET).update(body).digest('hex') },
      body,
    }),
    await measure('webhook, redelivery -> 202 duplicate (KV read)', {
      url: `${gateway}/dupes`,
      method: 'POST',
      headers: { ...json, 'idempotency-key': dupeKey },
      body,
    }),
  ];
  const [plainFloor, durableFloor] = results;
  for (const result of results) {
    result['vs Fastify'] = (result['req/s'] / plainFloor['req/s']).toFixed(2);
    result['vs Fastify+JetStream'] = (result['req/s'] / durableFloor['req/s']).toFixed(2);
  }
  console.log(`\ninbound webhooks, ${CONNECTIONS} connections, ${DURATION} s per case, 1 KB JSON body`);
  console.table(results);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/webhooks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`written to ${file}`);
} finally {
  baseline.kill('SIGTERM');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await nats.dispose();
  await database.drop();
}
