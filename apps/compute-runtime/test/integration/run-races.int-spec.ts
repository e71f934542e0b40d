import { randomUUID } from 'node:crypto';

import type { FunctionRun, RunStatus } from '@signalbox/contracts';
import { Database, Outbox } from '@signalbox/persistence';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@signalbox/testing';

import { migrations } from '../../src/database/migrations';
import { RunRepository } from '../../src/runs/run.repository';
import type { SandboxResult } from '../../src/sandbox/sandbox.types';

const quietLogger = { info: () => undefined, warn: () => undefined };

/** What can happen to a running run at once: its outcome, a retry by policy, a user's cancel or manual retry. */
const OPERATIONS = ['complete', 'fail', 'retry', 'cancel', 'requeue'] as const;
type Operation = (typeof OPERATIONS)[number];

/**
 * The run's state machine as documented (docs/run-control.md): each operation, from which states, to which. A run
 * cancelled while running (`stopping`, status `cancelled`) keeps its slot until its runtime has stopped it, which
 * no replica here does, so it cannot be retried; one cancelled while queued can.
 */
type State = RunStatus | 'stopping';
const MODEL: Record<Operation, Array<{ from: State; to: State }>> = {
  complete: [{ from: 'running', to: 'completed' }],
  fail: [{ from: 'running', to: 'failed' }],
  retry: [{ from: 'running', to: 'queued' }],
  cancel: [
    { from: 'queued', to: 'cancelled' },
    { from: 'running', to: 'stopping' },
  ],
  requeue: ['failed' as const, 'timed_out' as const, 'cancelled' as const].map((from) => ({ from, to: 'queued' })),
};

/** Whether some order of the operations that succeeded is a path of the model from `running` to `final`. */
function explainable(succeeded: readonly Operation[], final: RunStatus): boolean {
  const walk = (state: State, left: readonly Operation[]): boolean =>
    left.length === 0
      ? (state === 'stopping' ? 'cancelled' : state) === final
      : left.some((op, i) =>
          MODEL[op].some((step) => step.from === state && walk(step.to, [...left.slice(0, i), ...left.slice(i + 1)])),
        );
  return walk('running', succeeded);
}

/** A small seeded generator (mulberry32): a failing interleaving can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const outcome = (status: 'completed' | 'failed'): SandboxResult => ({
  runId: '',
  status,
  result: status === 'completed' ? { ok: true } : undefined,
  error: status === 'failed' ? { name: 'Error', message: 'boom' } : undefined,
  logs: [],
  logsTruncated: false,
  steps: [],
  durationMs: 1,
  cpuTimeMs: 1,
});

/** A run recorded and claimed at once (its attempt 1 running), as a dispatched run is. */
const claimedRun = async (runs: RunRepository, leaseMs: number, executionParams: unknown = {}): Promise<FunctionRun> =>
  (await runs.insertClaimed(
    {
      id: randomUUID(),
      workspace: 'acme',
      triggerId: randomUUID(),
      functionId: randomUUID(),
      executionParams,
      requestedBy: 'router',
    },
    leaseMs,
  ))!;

/**
 * Property: whatever the interleaving of cancel, finish and retry on one run (two replicas, each statement racing the
 * others), the run ends in one status that some order of the changes that succeeded explains, and its concurrency
 * slot is held exactly while it runs (or, cancelled while running, until its runtime has stopped it).
 */
describe('a run under racing changes', () => {
  let db: TestDatabase;
  const databases: Database[] = [];

  const replica = async () => {
    const database = new Database(
      { url: db.url, schema: 'runtime', poolMax: 6, applicationName: 'run-races', entities: [], migrations },
      quietLogger,
    );
    databases.push(database);
    await database.whenReady();
    return new RunRepository(
      database,
      new Outbox(database, { table: 'runtime.outbox', publish: () => Promise.resolve(), logger: quietLogger }),
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.close()));
    await db?.drop();
  });

  it('ends every interleaving in one status explained by the changes that won, its slot freed with it', async () => {
    const replicas = [await replica(), await replica()];
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    for (let round = 0; round < 150; round++) {
      const run = await claimedRun(replicas[0], 30_000, { round });
      await queryDatabase(
        db.url,
        `INSERT INTO runtime.flow_slots (run_id, workspace_slug, trigger_id, key, queued_at) VALUES ($1, 'acme', $2, '', $3)`,
        [run.jobId, run.triggerId, run.queuedAt],
      );
      const chosen = OPERATIONS.filter(() => next() < 0.6);
      const results = await Promise.all(
        chosen.map(async (op): Promise<[Operation, boolean]> => {
          const runs = replicas[Math.floor(next() * 2)];
          await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 4)));
          switch (op) {
            case 'complete':
              return [op, await runs.finish(run, 1, 1, outcome('completed'))];
            case 'fail':
              return [op, await runs.finish(run, 1, 1, outcome('failed'))];
            case 'retry':
              return [op, await runs.scheduleRetry(run, 1, 1, outcome('failed'), 60_000)];
            case 'cancel':
              return [op, (await runs.cancel('acme', run.jobId))?.cancelled === true];
            case 'requeue': {
              const requeued = await runs.requeue('acme', run.jobId, (r) => ({
                msgId: `${r.jobId}.retry.${r.attempt + 1}`,
                subject: 'exec.acme.x',
                body: {},
              }));
              return [op, requeued?.requeued === true];
            }
          }
        }),
      );
      const succeeded = results.filter(([, ok]) => ok).map(([op]) => op);
      const found = (await replicas[1].find('acme', run.jobId))!.run;
      const final = found.status;
      // A run cancelled while it ran keeps its slot until its sandbox has stopped it (its runtime frees it then).
      const stillStopping = final === 'cancelled' && found.durationMs !== null;
      const slots = await queryDatabase<{ n: number }>(
        db.url,
        'SELECT count(*)::int AS n FROM runtime.flow_slots WHERE run_id = $1',
        [run.jobId],
      );
      const context = `seed ${seed}, round ${round}: ${JSON.stringify(results)} ended ${final}`;
      expect({ context, explained: explainable(succeeded, final) }).toEqual({ context, explained: true });
      expect({ context, slot: slots[0].n }).toEqual({ context, slot: final === 'running' || stillStopping ? 1 : 0 });
    }
  });

  it('is renewed only by the attempt that holds it: an attempt taken over after its lease lapsed learns it is not running', async () => {
    const replicas = [await replica(), await replica()];
    const run = await claimedRun(replicas[0], 200);
    // The first runtime stalls past its lease (a long pause, not a death): another one takes the run over.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const taken = await replicas[1].claim(run.jobId, 'acme', 30_000);
    expect(taken).toMatchObject({ kind: 'claimed', run: { attempt: 2 } });
    // Back from its pause, the first attempt's heartbeat must not keep it going beside the second.
    expect(await replicas[0].renewLease(run, 1, 30_000)).toBe(false);
    expect(await replicas[1].renewLease(run, 2, 30_000)).toBe(true);
  });

  it('retries a run cancelled while running once that attempt has stopped, and one cancelled before it ever started from the first gate', async () => {
    const runs = await replica();
    const manager = databases.at(-1)!.source.manager;
    const message = (r: FunctionRun) => ({
      msgId: `${r.jobId}.retry.${randomUUID()}`,
      subject: 'exec.acme.x',
      body: {},
    });

    const running = await claimedRun(runs, 30_000);
    expect((await runs.cancel('acme', running.jobId))?.cancelled).toBe(true);
    // Its attempt may still be in a sandbox: no second attempt beside it.
    expect(await runs.requeue('acme', running.jobId, message)).toMatchObject({ requeued: false });
    await runs.stopped(running, 1);
    expect(await runs.requeue('acme', running.jobId, message)).toMatchObject({ requeued: true });
    // The cancelled attempt is on record: the next one is not taken for one after a dead runtime.
    expect(await runs.claim(running.jobId, 'acme', 30_000)).toMatchObject({
      kind: 'claimed',
      run: { attempt: 2, attempts: [{ attempt: 1, status: 'cancelled' }] },
    });

    // Held back by a throttle (a gate parked it at its stage 2), then cancelled: retried, it is a new arrival.
    const parked = await claimedRun(runs, 30_000);
    const due = new Date(Date.now() + 60_000);
    expect(await runs.park(manager, parked, { reason: 'throttle', key: '', until: due.toISOString() }, due, 2)).toBe(
      true,
    );
    expect((await runs.cancel('acme', parked.jobId))?.cancelled).toBe(true);
    expect(await runs.requeue('acme', parked.jobId, message)).toMatchObject({ requeued: true });
    expect(await runs.claim(parked.jobId, 'acme', 30_000)).toMatchObject({
      kind: 'claimed',
      run: { attempt: 1 },
      flow: { stage: 0, waitedFor: null },
    });

    // One that ran and slept, woke, and was parked in a concurrency line (attempt 1 again, no start) did start: it
    // keeps its stage, and no debounce or throttle takes it for a new arrival.
    const slept = await claimedRun(runs, 30_000);
    expect(await runs.sleep(slept, 1, 1, { ...outcome('completed'), status: 'sleeping' }, new Date())).toBe(true);
    await queryDatabase(db.url, `UPDATE runtime.runs SET status = 'queued', next_attempt_at = now() WHERE id = $1`, [
      slept.jobId,
    ]);
    expect(await runs.claim(slept.jobId, 'acme', 30_000)).toMatchObject({ kind: 'claimed', run: { attempt: 1 } });
    const line = { reason: 'concurrency' as const, key: '' };
    expect(await runs.park(manager, slept, line, null, 2)).toBe(true);
    expect((await runs.cancel('acme', slept.jobId))?.cancelled).toBe(true);
    expect(await runs.requeue('acme', slept.jobId, message)).toMatchObject({ requeued: true });
    expect(await runs.claim(slept.jobId, 'acme', 30_000)).toMatchObject({ kind: 'claimed', flow: { stage: 2 } });
  });
});
