// `npm run bench:scheduler`: scheduled triggers (issue 6). For each size (default 10,000 and 100,000 active
// schedules, interval BENCH_INTERVAL seconds, default 60, phases spread evenly over the interval), in one run:
//   floor: a bare setInterval loop per schedule that only records its lateness (one process, no I/O);
//   ours:  one scheduler-service process over a private nats-server and a fresh Postgres database. The triggers
//          are put into the `triggers` KV bucket as data-service would (spread over one interval), then for one
//          interval every fire is read from EXECUTIONS: lateness (fire time and stream time minus due time),
//          fires/s, the scheduler's CPU, and SQL statements per fire (from its own metrics).
// Prints a table and the ratio of our p99 lateness to the floor's; writes bench/results/scheduler-<time>.json.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildProjects,
  markConfigBucketsFilled,
  createBenchDatabase,
  percentile,
  require,
  root,
  sleep,
  startService,
} from './lib.mjs';

const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager, AckPolicy } = require('@nats-io/jetstream');
const { Kvm } = require('@nats-io/kv');

const SIZES = (process.env.BENCH_SCHEDULES ?? '10000,100000').split(',').map(Number);
const INTERVAL = Number(process.env.BENCH_INTERVAL ?? 60);
const CLOCK_TICKS = 100;

buildProjects(['scheduler-service', 'testing']);
const { NatsServerProcess } = require('@signalbox/testing');

const summary = (values) => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: Math.max(...values),
});
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
};
const metric = async (port, name) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
};

/** The floor: `count` setInterval timers with evenly spread phases, for one interval; lateness of every tick. */
async function floor(count) {
  const period = INTERVAL * 1000;
  const lateness = [];
  const timers = [];
  const start = Date.now() + 100;
  for (let i = 0; i < count; i++) {
    const phase = Math.floor((i * period) / count);
    let due = start + phase;
    timers.push(
      setTimeout(() => {
        const tick = () => {
          if (due < start + period) lateness.push(Date.now() - due);
          due += period;
        };
        tick();
        timers.push(setInterval(tick, period));
      }, due - Date.now()),
    );
  }
  await sleep(period + 500);
  for (const timer of timers) clearTimeout(timer);
  return { fires: lateness.length, ...summary(lateness) };
}

/** Ours: one scheduler with `count` interval schedules. */
async function ours(count) {
  const database = await createBenchDatabase('bench_scheduler');
  const nats = await NatsServerProcess.create();
  await nats.start();
  await markConfigBucketsFilled(nats.url);
  const { port, child } = await startService('scheduler-service', {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
  });
  const nc = await connect({ servers: nats.url });
  try {
    const kv = await new Kvm(nc).open('triggers');
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add('EXECUTIONS', { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
    const functionId = randomUUID();

    // Seed: count/INTERVAL triggers per second for one interval, so due times spread evenly.
    console.log(`  seeding ${count} schedules over ${INTERVAL} s...`);
    const seedStarted = Date.now();
    const perTick = Math.ceil(count / (INTERVAL * 10));
    for (let put = 0, tick = 0; put < count; tick++) {
      const batch = [];
      for (let i = 0; i < perTick && put < count; i++, put++) {
        const id = randomUUID();
        const config = {
          id,
          workspaceSlug: 'bench',
          name: `s-${put}`,
          functionId,
          executionType: 'scheduled',
          triggerMetadata: { interval: INTERVAL },
          enabled: true,
          isSystem: false,
          version: 1,
          updatedAt: new Date().toISOString(),
        };
        batch.push(kv.put(`bench.${id}`, JSON.stringify(config)));
      }
      await Promise.all(batch);
      const wait = seedStarted + (tick + 1) * 100 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const seeded = Date.now();

    // Measure one interval: every schedule fires exactly once in [seeded, seeded + INTERVAL).
    const windowStart = seeded;
    const windowEnd = seeded + INTERVAL * 1000;
    const [cpu0, queries0, fires0] = [
      cpuSeconds(child.pid),
      await metric(port, 'signalbox_scheduler_db_queries_total'),
      await metric(port, 'signalbox_schedule_fires_total'),
    ];
    const fireLateness = [];
    const streamLateness = [];
    const seen = new Set();
    let duplicates = 0;
    const consumer = await jetstream(nc).consumers.get('EXECUTIONS', 'bench');
    const messages = await consumer.consume({ max_messages: 1000 });
    const reading = (async () => {
      for await (const message of messages) {
        const request = message.json();
        const { scheduledAt, firedAt } = request.run.executionParams;
        const due = Date.parse(scheduledAt);
        if (seen.has(request.runId)) duplicates++;
        seen.add(request.runId);
        if (due >= windowStart && due < windowEnd) {
          fireLateness.push(Date.parse(firedAt) - due);
          streamLateness.push(Math.round(Number(message.info.timestampNanos) / 1_000_000 - due));
        }
        message.ack();
      }
    })();
    await sleep(windowEnd - Date.now() + 3000);
    const [cpu1, queries1, fires1] = [
      cpuSeconds(child.pid),
      await metric(port, 'signalbox_scheduler_db_queries_total'),
      await metric(port, 'signalbox_schedule_fires_total'),
    ];
    await messages.close();
    await reading;
    const elapsed = (windowEnd + 3000 - windowStart) / 1000;
    return {
      seedSeconds: (seeded - seedStarted) / 1000,
      fires: fireLateness.length,
      expected: count,
      duplicates,
      firesPerSecond: Math.round(fireLateness.length / INTERVAL),
      lateness: summary(fireLateness),
      streamLateness: summary(streamLateness),
      cpuPercent: Math.round(((cpu1 - cpu0) / elapsed) * 100),
      cpuMsPerFire: Number((((cpu1 - cpu0) * 1000) / Math.max(1, fires1 - fires0)).toFixed(3)),
      queriesPerFire: Number(((queries1 - queries0) / Math.max(1, fires1 - fires0)).toFixed(3)),
    };
  } finally {
    await nc.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await nats.dispose();
    await database.drop();
  }
}

const results = [];
for (const count of SIZES) {
  console.log(`${count} schedules, interval ${INTERVAL} s`);
  console.log('  floor: setInterval...');
  const bare = await floor(count);
  console.log('  scheduler-service...');
  const result = await ours(count);
  results.push({ count, floor: bare, ours: result });
}

console.log(`\nscheduled triggers, interval ${INTERVAL} s, one scheduler replica, ${INTERVAL} s measured (ms)`);
console.table(
  results.flatMap(({ count, floor: bare, ours: o }) => [
    {
      schedules: count,
      case: 'floor: bare setInterval',
      fires: bare.fires,
      'fires/s': Math.round(bare.fires / INTERVAL),
      'p50 ms': bare.p50,
      'p99 ms': bare.p99,
      'max ms': bare.max,
    },
    {
      schedules: count,
      case: 'scheduler: fire time - due',
      fires: `${o.fires}/${o.expected}`,
      'fires/s': o.firesPerSecond,
      'p50 ms': o.lateness.p50,
      'p99 ms': o.lateness.p99,
      'max ms': o.lateness.max,
    },
    {
      schedules: count,
      case: 'scheduler: in stream - due',
      fires: `${o.fires}/${o.expected}`,
      'fires/s': o.firesPerSecond,
      'p50 ms': o.streamLateness.p50,
      'p99 ms': o.streamLateness.p99,
      'max ms': o.streamLateness.max,
    },
  ]),
);
console.table(
  results.map(({ count, floor: bare, ours: o }) => ({
    schedules: count,
    'duplicate fires': o.duplicates,
    'scheduler CPU %': o.cpuPercent,
    'CPU ms/fire': o.cpuMsPerFire,
    'SQL/fire': o.queriesPerFire,
    'p99 vs floor': `${(o.streamLateness.p99 / Math.max(1, bare.p99)).toFixed(1)}x (+${o.streamLateness.p99 - bare.p99} ms)`,
  })),
);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/scheduler-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ interval: INTERVAL, results }, null, 2));
console.log(`written to ${file}`);
