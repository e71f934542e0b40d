// `npm run drill`: the scale and fault drill (issue 10). On loopback, with the machine's Postgres:
//   - a 3-node NATS JetStream cluster (three nats-server processes with routes; every stream and KV bucket R3),
//   - two replicas of each of the five services, from their builds,
//   - a receiver standing in for users' systems: the function's side effect (api.fetch) and outbound webhooks.
// For DRILL_SECONDS (80) it drives a mixed load: record events (DRILL_EVENT_RATE/s), on-demand executes and
// inbound webhooks (DRILL_HTTP_RATE/s each, through whichever replica answers), and DRILL_SCHEDULES triggers
// firing every second; every run is announced to an outbound webhook subscription. Flow control rides along at
// half DRILL_HTTP_RATE each: executes of a trigger with a concurrency limit per group (the receiver records how
// many of a group ran at once) and of a debounced trigger (bursts of DEBOUNCE_BURST per group).
// During the load it kill -9s the NATS node that leads the EXECUTIONS stream, then one replica of every
// service, and starts each again a few seconds later. Then it waits for the backlog to drain and checks
// every accepted item against the run records and the receiver. Prints the tables; exits 1 if anything
// accepted was lost, ran twice or was refused, if a delivery was lost, if a concurrency limit was exceeded, if
// a debounce burst did not end in its last item's run, or if a schedule disabled after the faults still fired (a scheduler that stopped following its KV bucket). Logs stay in the printed folder on
// failure (and with DRILL_KEEP_LOGS=1).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildProjects, createBenchDatabase, percentile, require, sleep } from '../bench/lib.mjs';
import { createReplicas } from './replicas.mjs';
import { BalancedClient, Ledger, paced, recordEventPublisher, startReceiver } from './load.mjs';

const SECONDS = Number(process.env.DRILL_SECONDS ?? 80);
const EVENT_RATE = Number(process.env.DRILL_EVENT_RATE ?? 40);
const HTTP_RATE = Number(process.env.DRILL_HTTP_RATE ?? 10);
const SCHEDULES = Number(process.env.DRILL_SCHEDULES ?? 3);
const DRAIN_MS = Number(process.env.DRILL_DRAIN_MS ?? 120_000);
/** Past DRAIN_MS, how long the drain may go without one more item done before what is left counts as lost. */
const DRAIN_STALL_MS = Number(process.env.DRILL_DRAIN_STALL_MS ?? 60_000);
const DRAIN_MAX_MS = DRAIN_MS + 240_000;
const APPS = ['data-service', 'webhook-gateway', 'scheduler-service', 'event-router', 'compute-runtime'];
const WORKSPACE = 'drill';
// When the faults happen, as fractions of the load (at 80 s: NATS 10-20 s, services 40-48 s), far enough apart
// for the platform to recover from one before the next.
const FAULTS = { natsKill: 0.125, natsRestart: 0.25, servicesKill: 0.5, servicesRestart: 0.6 };
/** The concurrency-limited trigger: at most this many runs of one group at once, over CONCURRENCY_GROUPS groups. */
const CONCURRENCY_LIMIT = 2;
const CONCURRENCY_GROUPS = 3;
/** The debounced trigger: items in a row share a group, sent 1000 / (DRILL_HTTP_RATE / 2) ms apart. */
const DEBOUNCE_BURST = 4;
const DEBOUNCE_MS = 1_000;

// The function: reports its item to the receiver (a side effect the drill can count) and returns its key.
// The key is what the drill sent: an execute's body, a webhook's Idempotency-Key, an event's id, a fire's due time.
const CODE = `async function run() {
  const p = executionParams;
  const key = p.key || p.deliveryId || p.eventId || (p.triggerId + '@' + p.scheduledAt);
  if (triggerParams.hold) await api.fetch(triggerParams.hold + '?ms=100&group=' + encodeURIComponent(p.group));
  await api.fetch(triggerParams.sink, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  return { key };
}`;
// The same key, from a run record (any status).
const KEY_SQL = `COALESCE(execution_params->>'key', execution_params->>'deliveryId', execution_params->>'eventId',
  (execution_params->>'triggerId') || '@' || (execution_params->>'scheduledAt'))`;

const LIMITED_SOURCE = 'execute, concurrency-limited';
const DEBOUNCED_SOURCE = 'execute, debounced';
const FINAL = new Set(['completed', 'failed', 'timed_out', 'cancelled']);

buildProjects([...APPS, 'testing']);
const { NatsCluster, testToken, TEST_JWT_SECRET } = require('@signalbox/testing');
const pg = require('pg');

const logDir = mkdtempSync(join(tmpdir(), 'signalbox-drill-'));
const ledger = new Ledger();
const receiver = await startReceiver(ledger);
const database = await createBenchDatabase('drill');
const t = (ms) => ((ms - loadStartedAt) / 1000).toFixed(1);
let loadStartedAt = Date.now();
let nodes = [];
let replicas = [];
let failed = true;

function log(message) {
  console.log(`[drill ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

try {
  log(`logs in ${logDir}`);
  const cluster = await NatsCluster.create({ logDir, name: 'signalbox-drill' });
  nodes = cluster.nodes;
  await cluster.start();
  log(`NATS cluster up: ${nodes.map((node) => node.url).join(', ')}`);
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    NATS_URL: nodes.map((node) => node.url).join(','),
    NATS_STREAM_REPLICAS: '3',
    JWT_SECRET: TEST_JWT_SECRET,
    FETCH_ALLOWED_HOSTS: '127.0.0.1',
    RATE_LIMIT_READ_PER_MINUTE: '1000000',
    RATE_LIMIT_WRITE_PER_MINUTE: '1000000',
    RATE_LIMIT_EXECUTE_PER_MINUTE: '1000000',
  };
  replicas = await createReplicas(APPS, 2, env, logDir);
  for (const replica of replicas) replica.start();
  await Promise.all(replicas.map((replica) => replica.waitReady()));
  log(`${replicas.length} service replicas ready`);
  const of = (app) => replicas.filter((replica) => replica.app === app);
  const token = testToken({ workspaces: [WORKSPACE], permissions: ['*'], expiresInSeconds: 3_600 });
  const api = new BalancedClient(of('data-service'), { authorization: `Bearer ${token}` });
  const gateway = new BalancedClient(of('webhook-gateway'), {});
  const base = `/workspace/${WORKSPACE}/api/v1`;
  const create = async (path, body) => {
    const response = await api.request('POST', `${base}${path}`, body);
    if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };

  // Setup through the API, like a user.
  const params = { sink: `${receiver.url}/sink` };
  const fn = await create('/compute-functions', { name: 'drill', code: CODE, timeoutMs: 10_000 });
  const trigger = (name, executionType, metadata) =>
    create('/function-triggers', { name, functionId: fn.id, executionType, triggerMetadata: { ...metadata, params } });
  const onDemand = await trigger('drill-execute', 'on-demand', {});
  await trigger('drill-events', 'event-driven', { event: 'record_created', recordSlug: 'orders' });
  await trigger('drill-webhook', 'webhook', { path: '/drill' });
  const limited = await create('/function-triggers', {
    name: 'drill-limited',
    functionId: fn.id,
    executionType: 'on-demand',
    triggerMetadata: {
      params: { ...params, hold: `${receiver.url}/hold` },
      concurrency: { limit: CONCURRENCY_LIMIT, key: 'executionParams.group' },
    },
  });
  const debounced = await trigger('drill-debounced', 'on-demand', {
    debounce: { periodMs: DEBOUNCE_MS, key: 'executionParams.group' },
  });
  await create('/webhooks', {
    name: 'drill-receiver',
    url: `${receiver.url}/deliveries`,
    events: ['function.completed', 'function.failed'],
  });
  const publisher = await recordEventPublisher(
    nodes.map((node) => node.url),
    ledger,
  );

  const execute = async (key, { triggerId = onDemand.id, source = 'execute', group } = {}) => {
    ledger.send(key, source);
    const path = `${base}/function-triggers/${triggerId}/execute`;
    const body = group === undefined ? { key } : { key, group };
    const response = await api.request('POST', path, body, { 'idempotency-key': key }).catch((error) => error);
    if (response.status === 200) ledger.accepted(key);
    else ledger.refused(key, response.message ?? `${response.status} ${JSON.stringify(response.body)}`);
  };
  const webhook = async (key) => {
    ledger.send(key, 'inbound webhook');
    const response = await gateway
      .request('POST', `${base}/webhook/drill`, { key, order: { total: 42 } }, { 'idempotency-key': key })
      .catch((error) => error);
    if (response.status === 202) ledger.accepted(key);
    else ledger.refused(key, response.message ?? `${response.status} ${JSON.stringify(response.body)}`);
  };

  // Warm-up: one of each path end to end, so the load measures a working platform.
  await Promise.all([
    execute('warmup-execute'),
    webhook('warmup-webhook'),
    publisher.publish(WORKSPACE, 'orders', 'warmup-event'),
  ]);
  await waitUntil(
    () => ['warmup-execute', 'warmup-webhook', 'warmup-event'].every((key) => ledger.sideEffects.has(key)),
    60_000,
    'warm-up runs',
  );
  for (const key of ['warmup-execute', 'warmup-webhook', 'warmup-event']) ledger.items.delete(key);
  log('warm-up done: every path runs');

  // The load.
  loadStartedAt = Date.now();
  const schedules = [];
  for (let i = 0; i < SCHEDULES; i++) {
    schedules.push(
      await trigger(`drill-schedule-${i}`, 'scheduled', { interval: 1, catchUp: 'all', overlap: 'allow' }),
    );
  }
  log(
    `load for ${SECONDS} s: ${EVENT_RATE} events/s, ${HTTP_RATE} executes/s, ${HTTP_RATE} webhooks/s, ${SCHEDULES} schedules/s`,
  );
  const faults = runFaults(of);
  await Promise.all([
    paced(EVENT_RATE, SECONDS, (i) => publisher.publish(WORKSPACE, 'orders', `event-${i}`)),
    paced(HTTP_RATE, SECONDS, (i) => execute(`execute-${i}`)),
    paced(HTTP_RATE, SECONDS, (i) => webhook(`webhook-${i}`)),
    paced(HTTP_RATE / 2, SECONDS, (i) =>
      execute(`limited-${i}`, {
        triggerId: limited.id,
        source: LIMITED_SOURCE,
        group: `g${i % CONCURRENCY_GROUPS}`,
      }),
    ),
    paced(HTTP_RATE / 2, SECONDS, (i) =>
      execute(`debounced-${i}`, {
        triggerId: debounced.id,
        source: DEBOUNCED_SOURCE,
        group: `d${Math.floor(i / DEBOUNCE_BURST)}`,
      }),
    ),
  ]);
  const faultLog = await faults;
  const schedulesStoppedAt = Date.now();
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  // Disabling a schedule drops fires not yet made: first let the scheduler reach the end of the load.
  const scheduleIds = new Set(schedules.map((schedule) => schedule.id));
  await waitUntil(
    async () => {
      const { rows } = await db.query(
        `SELECT trigger_id, max(execution_params->>'scheduledAt') AS last FROM runtime.runs
          WHERE workspace_slug = $1 AND execution_params::jsonb ? 'scheduledAt' GROUP BY trigger_id`,
        [WORKSPACE],
      );
      const caughtUp = rows.filter(
        (row) => scheduleIds.has(row.trigger_id) && Date.parse(row.last) >= schedulesStoppedAt - 2_000,
      );
      return caughtUp.length === scheduleIds.size;
    },
    30_000,
    'the schedules to fire up to the end of the load',
  ).catch((error) => log(String(error.message)));
  for (const schedule of schedules) await create(`/function-triggers/${schedule.id}/disable`, {});
  const schedulesDisabledAt = Date.now();
  log('load done; schedules disabled; draining');

  // Drain: every accepted item should end as a completed run with one delivery.
  const readRuns = async () =>
    (
      await db.query(
        `SELECT id, trigger_id, status, attempt, jsonb_array_length(attempts) AS recorded, ${KEY_SQL} AS key,
                execution_params->>'group' AS "group", error->>'name' AS error_name,
                error->>'message' AS error_message, queued_at,
                execution_params->>'scheduledAt' AS scheduled_at, (extract(epoch FROM finished_at) * 1000)::bigint AS finished_ms
           FROM runtime.runs WHERE workspace_slug = $1`,
        [WORKSPACE],
      )
    ).rows;
  let runs = [];
  const drainStarted = Date.now();
  // Under a loaded machine the backlog can take longer than DRAIN_MS: past it, the drill waits on while items
  // still complete (late is not lost), and stops once nothing has completed for DRAIN_STALL_MS.
  let left = Infinity;
  let progressAt = Date.now();
  for (;;) {
    runs = await readRuns();
    addScheduledItems(runs, scheduleIds, schedulesStoppedAt);
    const completed = new Map(runs.filter((run) => run.status === 'completed').map((run) => [run.key, run]));
    const finalKeys = new Set(runs.filter((run) => FINAL.has(run.status)).map((run) => run.key));
    const outstanding = [...ledger.items].filter(([key, item]) =>
      item.source === DEBOUNCED_SOURCE
        ? !item.refused && !finalKeys.has(key)
        : !item.refused && !(completed.has(key) && ledger.deliveredRuns.has(completed.get(key).id)),
    ).length;
    if (outstanding === 0) {
      log(`drained in ${((Date.now() - drainStarted) / 1000).toFixed(1)} s`);
      break;
    }
    if (outstanding < left) [left, progressAt] = [outstanding, Date.now()];
    const waited = Date.now() - drainStarted;
    if (waited > DRAIN_MS && Date.now() - progressAt > DRAIN_STALL_MS) {
      log(`the backlog stopped draining: ${outstanding} items not done after ${(waited / 1000).toFixed(0)} s`);
      break;
    }
    if (waited > DRAIN_MAX_MS) {
      log(`the backlog did not drain within ${DRAIN_MAX_MS / 1000} s: ${outstanding} items not done`);
      break;
    }
    await sleep(1_000);
  }
  await sleep(2_000); // late duplicates, if any, would arrive now
  runs = await readRuns();
  await db.end();
  await publisher.close();

  // The disable went through KV to the schedulers after the faults: fires due later than 2 s after it mean a
  // scheduler missed the change (a trigger index that stopped following its bucket).
  const firedAfterDisable = runs.filter(
    (run) => scheduleIds.has(run.trigger_id) && Date.parse(run.scheduled_at) > schedulesDisabledAt + 2_000,
  ).length;
  failed = report(runs, faultLog, firedAfterDisable);
} catch (error) {
  console.error(error);
} finally {
  await Promise.all(replicas.map((replica) => replica.kill('SIGTERM')));
  await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
  receiver.server.close();
  await database.drop().catch(() => undefined);
  if (failed) {
    log(`FAILED; logs kept in ${logDir}`);
    for (const replica of replicas) {
      const tail = readFileSync(replica.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      if (tail) console.log(`--- ${replica.name}\n${tail}`);
    }
  } else if (process.env.DRILL_KEEP_LOGS) log(`logs kept in ${logDir}`);
  else rmSync(logDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

async function waitUntil(condition, timeoutMs, what) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1_000);
  }
}

/**
 * The faults, during the load: kill -9 the NATS node that leads the EXECUTIONS stream and start it again; then
 * kill -9 one replica of every service and start them again. Resolves with what happened when.
 */
async function runFaults(of) {
  const at = (fraction) => sleep(Math.max(0, loadStartedAt + fraction * SECONDS * 1000 - Date.now()));
  const events = [];
  await at(FAULTS.natsKill);
  const leaderName = await streamLeader('EXECUTIONS').catch(() => 'nats-1');
  const node = nodes.find((candidate) => candidate.name === leaderName) ?? nodes[0];
  const natsKilledAt = Date.now();
  await node.kill();
  log(`t=${t(natsKilledAt)} s: kill -9 ${node.name} (leader of EXECUTIONS)`);
  await at(FAULTS.natsRestart);
  const natsRestartedAt = Date.now();
  node.start();
  const natsReadyMs = await node.waitHealthy();
  log(`t=${t(natsRestartedAt)} s: ${node.name} restarted; healthy (JetStream current) after ${natsReadyMs} ms`);
  events.push({
    component: `${node.name} (NATS, stream leader)`,
    killedAt: natsKilledAt,
    restartedAt: natsRestartedAt,
    readyMs: natsReadyMs,
  });

  await at(FAULTS.servicesKill);
  const victims = APPS.map((app) => of(app)[0]);
  const servicesKilledAt = Date.now();
  await Promise.all(victims.map((replica) => replica.kill()));
  log(`t=${t(servicesKilledAt)} s: kill -9 ${victims.map((replica) => replica.name).join(', ')}`);
  await at(FAULTS.servicesRestart);
  const servicesRestartedAt = Date.now();
  for (const replica of victims) replica.start();
  const ready = await Promise.all(victims.map((replica) => replica.waitReady()));
  log(`t=${t(servicesRestartedAt)} s: restarted; ready after ${Math.max(...ready)} ms`);
  victims.forEach((replica, i) =>
    events.push({
      component: replica.name,
      killedAt: servicesKilledAt,
      restartedAt: servicesRestartedAt,
      readyMs: ready[i],
    }),
  );
  return events;
}

async function streamLeader(stream) {
  const { connect } = require('@nats-io/transport-node');
  const { jetstreamManager } = require('@nats-io/jetstream');
  const nc = await connect({ servers: nodes.map((node) => node.url) });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).cluster?.leader;
  } finally {
    await nc.close();
  }
}

/** Every 1-second fire that was due while the schedules were enabled must have a run: one item per due time. */
function addScheduledItems(runs, scheduleIds, stoppedAt) {
  for (const triggerId of scheduleIds) {
    const due = runs
      .filter((run) => run.trigger_id === triggerId && run.scheduled_at)
      .map((run) => Date.parse(run.scheduled_at))
      .sort((a, b) => a - b);
    if (due.length === 0) continue;
    // From the first fire to 2 s before the schedule was disabled, every second.
    for (let at = due[0]; at <= stoppedAt - 2_000; at += 1_000) {
      const key = `${triggerId}@${new Date(at).toISOString()}`;
      if (!ledger.items.has(key)) ledger.items.set(key, { source: 'schedule (1 s)', sentAt: at, acceptedAt: at });
    }
  }
}

function report(runs, faultLog, firedAfterDisable) {
  const byKey = new Map();
  for (const run of runs) byKey.set(run.key, [...(byKey.get(run.key) ?? []), run]);
  const sources = [...new Set([...ledger.items.values()].map((item) => item.source))].filter(
    (source) => source !== DEBOUNCED_SOURCE,
  );
  const rows = [];
  const totals = { lost: 0, doubled: 0, deliveries: 0, deliveriesLost: 0, refused: 0, repeatedAfterCrash: 0 };
  const latencies = [];
  for (const source of sources) {
    const items = [...ledger.items].filter(([, item]) => item.source === source);
    const accepted = items.filter(([, item]) => item.acceptedAt !== undefined && !item.refused);
    let executed = 0;
    let doubled = 0;
    let deliveriesLost = 0;
    let repeatedAfterCrash = 0;
    const runMs = [];
    const deliveredMs = [];
    const acceptMs = accepted.map(([, item]) => item.acceptedAt - item.sentAt);
    for (const [key, item] of accepted) {
      const all = byKey.get(key) ?? [];
      const completed = all.filter((run) => run.status === 'completed');
      if (completed.length > 0) executed++;
      const run = completed[0];
      const sideEffects = ledger.sideEffects.get(key) ?? 0;
      const delivered = run ? ledger.deliveredRuns.get(run.id) : undefined;
      // Two runs for one item, one run announced as finished twice (two event ids), or its event delivered as
      // two deliveries (two webhook-ids) is running twice. A side effect seen twice counts as running twice
      // unless the runtime that ran the first attempt was killed (the run's attempt counter is past its
      // recorded attempts: the attempt was cut short).
      const cutShort = run && run.attempt > run.recorded;
      const announcedTwice = delivered && (delivered.events.size > 1 || delivered.deliveries.size > 1);
      if (all.length > 1 || announcedTwice || (sideEffects > 1 && !cutShort)) doubled++;
      else if (sideEffects > 1) repeatedAfterCrash++;
      if (run && !delivered) deliveriesLost++;
      totals.deliveries += delivered ? delivered.deliveries.size : 0;
      if (run) {
        runMs.push(Number(run.finished_ms) - item.acceptedAt);
        latencies.push({ acceptedAt: item.acceptedAt, ms: Number(run.finished_ms) - item.acceptedAt });
      }
      if (delivered) deliveredMs.push(delivered.firstAt - item.acceptedAt);
    }
    const lost = accepted.length - executed;
    const refused = items.length - accepted.length;
    Object.assign(totals, {
      lost: totals.lost + lost,
      doubled: totals.doubled + doubled,
      deliveriesLost: totals.deliveriesLost + deliveriesLost,
      refused: totals.refused + refused,
      repeatedAfterCrash: totals.repeatedAfterCrash + repeatedAfterCrash,
    });
    rows.push({
      source,
      accepted: accepted.length,
      refused,
      executed,
      lost,
      'executed twice': doubled,
      'p99 accept ms': acceptMs.length ? percentile(acceptMs, 99) : '-',
      'p50 run ms': runMs.length ? percentile(runMs, 50) : '-',
      'p99 run ms': runMs.length ? percentile(runMs, 99) : '-',
      'p50 delivered ms': deliveredMs.length ? percentile(deliveredMs, 50) : '-',
      'p99 delivered ms': deliveredMs.length ? percentile(deliveredMs, 99) : '-',
    });
  }
  const deliveriesDuplicated = [...ledger.deliveryIds.values()].filter((count) => count > 1).length;
  const debounce = reportDebounced(byKey);
  totals.lost += debounce.lost;
  totals.doubled += debounce.doubled;
  totals.refused += debounce.refused;
  totals.deliveriesLost += debounce.deliveriesLost;
  const mostAtOnce = Math.max(0, ...ledger.mostHolding.values());

  console.log(`\nscale drill: ${SECONDS} s of load, 3 NATS nodes (R3), 2 replicas of each service`);
  console.table(rows);
  console.table([
    {
      accepted: rows.reduce((sum, row) => sum + row.accepted, 0),
      executed: rows.reduce((sum, row) => sum + row.executed, 0),
      lost: totals.lost,
      'executed twice': totals.doubled,
      'refused (gave up after 60 s)': totals.refused,
      'deliveries made': totals.deliveries,
      'deliveries lost': totals.deliveriesLost,
      'deliveries duplicated (same webhook-id)': deliveriesDuplicated,
      'side effect re-run (attempt cut by kill -9)': totals.repeatedAfterCrash,
      'fired after disable': firedAfterDisable,
    },
  ]);
  console.log(
    `\nflow control: concurrency limit ${CONCURRENCY_LIMIT} per group; the most runs of one group at once: ${mostAtOnce}`,
  );
  console.table([debounce.row]);

  // Latency over time: runs by the 5-second slice in which they were accepted.
  latencies.sort((a, b) => a.acceptedAt - b.acceptedAt);
  const slices = [];
  for (let from = loadStartedAt; from < loadStartedAt + SECONDS * 1000; from += 5_000) {
    const ms = latencies
      .filter((entry) => entry.acceptedAt >= from && entry.acceptedAt < from + 5_000)
      .map((entry) => entry.ms);
    if (ms.length > 0)
      slices.push({
        'accepted at s': `${t(from)}-${t(from + 5_000)}`,
        runs: ms.length,
        'p50 run ms': percentile(ms, 50),
        'max run ms': Math.max(...ms),
      });
  }
  console.table(slices);

  // Time to recover. A run is slow when it took over 3x the p99 of the runs accepted before the first fault (at
  // least 1 s); each slow run is put down to the last kill before it finished. Recovered: from the kill until
  // the last slow run it caused was accepted (every run accepted later was fast again).
  const firstFault = Math.min(...faultLog.map((fault) => fault.killedAt));
  const before = latencies.filter((entry) => entry.acceptedAt < firstFault).map((entry) => entry.ms);
  const threshold = Math.max(1_000, 3 * (before.length ? percentile(before, 99) : 0));
  const kills = [...new Set(faultLog.map((fault) => fault.killedAt))].sort((a, b) => a - b);
  const causedBy = (entry) => kills.filter((at) => at <= entry.acceptedAt + entry.ms).at(-1);
  console.table(
    faultLog.map((fault) => {
      const slow = latencies.filter((entry) => entry.ms > threshold && causedBy(entry) === fault.killedAt);
      return {
        'killed (kill -9)': fault.component,
        'at s': t(fault.killedAt),
        'restarted at s': t(fault.restartedAt),
        'ready after restart ms': fault.readyMs,
        'slow runs': slow.length,
        'worst run ms': slow.length ? Math.max(...slow.map((entry) => entry.ms)) : '-',
        'recovered after ms': slow.length ? Math.max(0, slow.at(-1).acceptedAt - fault.killedAt) : 0,
      };
    }),
  );
  console.log(`slow = over ${threshold} ms; recovered = from the kill until the last slow run it caused was accepted`);
  const bad =
    totals.lost > 0 ||
    totals.doubled > 0 ||
    totals.deliveriesLost > 0 ||
    totals.refused > 0 ||
    firedAfterDisable > 0 ||
    mostAtOnce > CONCURRENCY_LIMIT ||
    debounce.lastNotRun > 0;
  console.log(
    bad
      ? '\nDRILL FAILED: something accepted was lost, ran twice or was refused, a disabled schedule fired, a ' +
          'concurrency limit was exceeded, or a debounce burst did not end in its last run'
      : '\ndrill passed: nothing lost, nothing ran twice, no limit exceeded',
  );
  return bad;
}

/**
 * The debounced trigger's items: each must have one run, final: `completed`, or `cancelled` as replaced by a
 * later one (error `Debounced`); the run queued last in each group completed; a completed one ran once and was
 * delivered once. Most items are replaced: that is the point.
 */
function reportDebounced(byKey) {
  const items = [...ledger.items].filter(([, item]) => item.source === DEBOUNCED_SOURCE);
  const accepted = items.filter(([, item]) => item.acceptedAt !== undefined && !item.refused);
  const result = { lost: 0, doubled: 0, deliveriesLost: 0, refused: items.length - accepted.length, lastNotRun: 0 };
  let completed = 0;
  let replaced = 0;
  const lastOfGroup = new Map();
  for (const [key] of accepted) {
    const all = byKey.get(key) ?? [];
    const run = all[0];
    if (all.length > 1) result.doubled++;
    if (!run || !(run.status === 'completed' || (run.status === 'cancelled' && run.error_name === 'Debounced'))) {
      result.lost++;
      continue;
    }
    const last = lastOfGroup.get(run.group);
    // The gate's order: queued at (to the millisecond), then job id (runs recorded in one statement share the time).
    const later = !last || run.queued_at > last.queued_at || (+run.queued_at === +last.queued_at && run.id > last.id);
    if (later) lastOfGroup.set(run.group, run);
    if (run.status === 'cancelled') {
      replaced++;
      continue;
    }
    completed++;
    const delivered = ledger.deliveredRuns.get(run.id);
    if (!delivered) result.deliveriesLost++;
    const cutShort = run.attempt > run.recorded;
    if ((ledger.sideEffects.get(key) ?? 0) > 1 && !cutShort) result.doubled++;
    if (delivered && (delivered.events.size > 1 || delivered.deliveries.size > 1)) result.doubled++;
  }
  const notRun = [...lastOfGroup.values()].filter((run) => run.status !== 'completed');
  result.lastNotRun = notRun.length;
  for (const last of notRun) {
    const group = accepted.map(([key]) => byKey.get(key)?.[0]).filter((run) => run?.group === last.group);
    console.log(`debounce group ${last.group}: its last run did not run`);
    console.table(
      group.map((run) => ({
        key: run.key,
        status: run.status,
        error: run.error_name,
        'queued at': run.queued_at.toISOString(),
        message: run.error_message,
      })),
    );
  }
  result.row = {
    source: DEBOUNCED_SOURCE,
    accepted: accepted.length,
    groups: lastOfGroup.size,
    'ran (completed)': completed,
    'replaced (Debounced)': replaced,
    lost: result.lost,
    'executed twice': result.doubled,
    'groups whose last item did not run': result.lastNotRun,
  };
  return result;
}
