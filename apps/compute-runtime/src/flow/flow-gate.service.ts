import { Injectable } from '@nestjs/common';
import { type FunctionRun, liveRun, MAX_FLOW_LIMIT, type WaitReason } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { outsideTrace } from '@signalbox/observability';
import { Outbox, type OutboxMessage } from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import { FunctionConfigStore } from '../execution/function-config.store';
import { type FlowState, RunRepository, type StoredWait } from '../runs/run.repository';
import { returnMessage } from '../runs/run-messages';
import { FlowRepository, type LinedRun } from './flow.repository';
import { type FlowControl, flowControlOf, flowKeyOf, type Keyed } from './flow-control';

/** A concurrency slot a run holds while it runs: freed with its outcome, and then the next in line is admitted. */
export interface HeldSlot extends Keyed {
  readonly limit: number;
}

/**
 * - `go`: run it now (holding `slot`, if the trigger has a concurrency limit);
 * - `wait`: it is queued again, waiting for `reason`; its message is done, and the run is published again when it
 *   gets a slot (FlowGate.admitNext) or when it is due (RunWaker);
 * - `gone`: it is no longer this claim's (cancelled, replaced by a later run, or its lease lapsed and another
 *   runtime has it): nothing to do here.
 */
export type GateOutcome =
  | { readonly kind: 'go'; readonly slot: HeldSlot | null }
  | { readonly kind: 'wait'; readonly reason: WaitReason }
  | { readonly kind: 'gone' };

/** A line is left to its own runtimes this long before the keeper looks at it. */
const KEEPER_GRACE_MS = 2_000;

const GO: GateOutcome = { kind: 'go', slot: null };
const GONE_OUTCOME: GateOutcome = { kind: 'gone' };
/** Thrown inside the gate's transaction when the run stopped running (rolls the transaction back). */
class RunGone extends Error {}

/**
 * The next start a throttle allows: now, unless the key's last `limit` runs started within the period, then one
 * period after the earliest of them. So no window of `periodMs` ever holds more than `limit` starts, and runs that
 * wait start in the order they came.
 */
export function nextThrottledStart(starts: readonly Date[], limit: number, periodMs: number, now: Date): Date {
  if (starts.length < limit) return now;
  const bound = starts[starts.length - limit].getTime() + periodMs;
  return new Date(Math.max(now.getTime(), bound));
}

/**
 * Whether run `a` was queued after run `b`: by `queuedAt`, then (runs recorded in one statement share it) by job id,
 * so every replica picks the same last run of a burst.
 */
export const queuedAfter = (
  a: { readonly jobId: string; readonly queuedAt: string },
  b: { readonly jobId: string; readonly queuedAt: string },
) => {
  const [at, bt] = [Date.parse(a.queuedAt), Date.parse(b.queuedAt)];
  return at !== bt ? at > bt : a.jobId > b.jobId;
};

const lockOf = (gate: string, k: Keyed) => `flow/${gate}/${k.workspace}/${k.triggerId}/${k.key}`;

/**
 * Flow control between a run's claim and its sandbox (docs/run-control.md). A claimed run of a trigger with
 * `debounce`, `throttle` or `concurrency` passes the gates in that order, in one transaction under the advisory
 * locks of its keys, so that every replica sees one line per key:
 * 1. debounce (first start only): a run arriving while another of its key waits out the quiet period replaces
 *    it; the newest waits `periodMs`, then goes on;
 * 2. throttle (first start only): the run gets the next start its key allows, and waits until then;
 * 3. concurrency (every attempt): the run takes a free slot of its key, after any run ahead of it in line, or
 *    joins the line, ranked by when it was queued less its priority's head start.
 * A run held back is parked (queued again, the claim undone, `waitingFor` set) in the same transaction.
 */
@Injectable()
export class FlowGate {
  constructor(
    private readonly flows: FlowRepository,
    private readonly runs: RunRepository,
    private readonly outbox: Outbox,
    private readonly nats: NatsClient,
    private readonly configs: FunctionConfigStore,
  ) {}

  /** The trigger's flow control, or null when it has none (or is not in the configuration). */
  async controlOf(workspace: string, triggerId: string): Promise<FlowControl | null> {
    return flowControlOf(await this.configs.trigger(workspace, triggerId));
  }

  async pass(run: FunctionRun, state: FlowState, flow: FlowControl): Promise<GateOutcome> {
    const keyed = (expression: string | null): Keyed => ({
      workspace: run.workspaceSlug,
      triggerId: run.triggerId,
      key: flowKeyOf(expression, run.executionParams),
    });
    const firstStart = run.attempt === 1;
    const debounce = flow.debounce && firstStart && state.stage < 1 ? flow.debounce : null;
    const throttle =
      flow.throttle && firstStart && (state.stage < 2 || state.waitedFor === 'throttle') ? flow.throttle : null;
    const concurrency = flow.concurrency;
    if (!debounce && !throttle && !concurrency) return GO;
    const debounced = debounce && keyed(debounce.key);
    const throttled = throttle && keyed(throttle.key);
    const slot = concurrency && { ...keyed(concurrency.key), limit: concurrency.limit };
    const locks = [
      debounced && lockOf('debounce', debounced),
      throttled && lockOf('throttle', throttled),
      slot && lockOf('concurrency', slot),
    ].filter((lock): lock is string => typeof lock === 'string');

    const self: LinedRun = { runId: run.jobId, functionId: run.functionId, queuedAt: run.queuedAt };
    const admitted: OutboxMessage[] = [];
    const superseded: FunctionRun[] = [];
    let until: string | null = null;
    let outcome: GateOutcome;
    try {
      outcome = await this.flows.locked(locks, async (tx, now) => {
        let stage = state.stage;
        const park = async (wait: StoredWait, due: Date | null) => {
          if (!(await this.runs.park(tx, run, wait, due, stage))) throw new RunGone();
          until = wait.until ?? null;
        };
        if (debounced && debounce) {
          if (state.waitedFor !== 'debounce') {
            // A new arrival replaces the run waiting out the key's quiet period, and waits out its own. Should that
            // run have been queued after this one (claimed first, on another replica), this one is the replaced one.
            const pending = await this.flows.debounceOf(tx, debounced);
            if (pending && pending.jobId !== run.jobId && pending.dueAt > now) {
              if (queuedAfter(pending, run)) {
                const replaced = await this.runs.supersede(tx, run, pending.jobId, { runningAttempt: run.attempt });
                if (replaced) superseded.push(replaced);
                return GONE_OUTCOME;
              }
              const replaced = await this.runs.supersede(tx, pending, run.jobId, { waiting: true });
              if (replaced) superseded.push(replaced);
            }
            const due = new Date(now.getTime() + debounce.periodMs);
            await this.flows.setDebounce(tx, debounced, run.jobId, run.queuedAt, due);
            await park({ reason: 'debounce', key: debounced.key, until: due.toISOString() }, due);
            return { kind: 'wait', reason: 'debounce' };
          }
          // Back after a quiet period that nothing interrupted (a replaced run is cancelled and never comes here).
          await this.flows.clearDebounce(tx, debounced, run.jobId);
          stage = 1;
        }
        if (throttled && throttle) {
          const { limit, periodMs } = throttle;
          const { reserved, starts } = await this.flows.throttleOf(tx, throttled);
          // A new arrival is given the next start in line; a run back from its wait has one. Either starts once the
          // starts that happened leave room (a run before it may have started late).
          const returning = state.waitedFor === 'throttle';
          const given = returning ? null : nextThrottledStart(reserved, limit, periodMs, now);
          const room = nextThrottledStart(starts, limit, periodMs, now);
          const start = given && given > room ? given : room;
          const goes = start <= now;
          const next = {
            reserved: given ? [...reserved, given].slice(-limit) : reserved,
            starts: goes ? [...starts, now].slice(-limit) : starts,
          };
          const last = Math.max(...[...next.reserved, ...next.starts].map((at) => at.getTime()));
          await this.flows.setThrottle(tx, throttled, next, new Date(last + periodMs));
          stage = 2;
          if (!goes) {
            await park({ reason: 'throttle', key: throttled.key, until: start.toISOString() }, start);
            return { kind: 'wait', reason: 'throttle' };
          }
          await this.runs.startedAt(tx, run, now);
        }
        if (slot) {
          const rank = new Date(Date.parse(run.queuedAt) - flow.priorityMs);
          const { mine, held, first } = await this.flows.slotState(tx, slot, slot.limit, { runId: run.jobId, rank });
          if (mine) return { kind: 'go', slot };
          // Free slots go to the runs ahead in line first (a limit raised since they joined it).
          const ahead = await this.admit(tx, slot, first);
          admitted.push(...ahead);
          const room = slot.limit - held - ahead.length;
          if (room > 0) {
            // Only while this claim still holds the run: not cancelled meanwhile, its lease not lapsed.
            if (!(await this.flows.takeOwnSlot(tx, slot, self, run.attempt))) throw new RunGone();
            return { kind: 'go', slot };
          }
          await this.flows.joinLine(tx, slot, self, rank);
          await park({ reason: 'concurrency', key: slot.key }, null);
          return { kind: 'wait', reason: 'concurrency' };
        }
        return GO;
      });
    } catch (error) {
      if (!(error instanceof RunGone)) throw error;
      // Rolled back: nothing it admitted or replaced happened.
      admitted.length = 0;
      superseded.length = 0;
      outcome = { kind: 'gone' };
    }
    // Each admitted run continues its own trace (its message's `traceparent`), not that of the run that freed its slot.
    if (admitted.length > 0) await outsideTrace(() => this.outbox.send(admitted));
    for (const replaced of superseded) this.nats.publishLive(replaced.workspaceSlug, liveRun(replaced, 'cancelled'));
    if (outcome.kind === 'wait') {
      this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt - 1 }, 'queued', until));
    }
    return outcome;
  }

  /**
   * Slots of the key are free (a run finished, was cancelled or went back to wait for a retry): the first runs in
   * line take them, and their messages go out. Also the keeper's, for a line whose runtime died before this.
   */
  async admitNext(slot: HeldSlot): Promise<void> {
    // Nearly always nobody waits: one look, no transaction. A run that joins the line while this looks saw the slot
    // still held; the keeper admits it (within a few seconds).
    if (!(await this.flows.anyWaiting(slot))) return;
    await this.admitWaiting(slot);
  }

  /**
   * A run that held `slot` left the sandbox: its slot is freed (unless the run is running again, on another
   * runtime that took it over), as its outcome's statement did already unless it was cancelled or finished
   * elsewhere, and the next in line is admitted.
   */
  async release(slot: HeldSlot, runId: string): Promise<void> {
    if (await this.flows.releaseUnlessRunning(slot, runId)) await this.admitWaiting(slot);
  }

  private async admitWaiting(slot: HeldSlot): Promise<void> {
    const messages = await this.flows.locked([lockOf('concurrency', slot)], async (tx) => {
      await this.flows.limitNow(tx, slot);
      const { first } = await this.flows.slotState(tx, slot, slot.limit);
      return this.admit(tx, slot, first);
    });
    if (messages.length > 0) await outsideTrace(() => this.outbox.send(messages));
  }

  /** A run cancelled by a user freed its slot (or its place in line): the next in line is admitted. */
  async cancelled(run: Pick<FunctionRun, 'workspaceSlug' | 'triggerId' | 'executionParams'>): Promise<void> {
    const concurrency = (await this.controlOf(run.workspaceSlug, run.triggerId))?.concurrency;
    if (!concurrency) return;
    const key = flowKeyOf(concurrency.key, run.executionParams);
    await this.admitNext({ workspace: run.workspaceSlug, triggerId: run.triggerId, key, limit: concurrency.limit });
  }

  /**
   * The keeper's pass: lines whose runs have waited a while get the slots that are free (their last run's runtime
   * died before it admitted the next), and what no run needs any more is removed. A line whose trigger lost its
   * limit (or was deleted) is let through whole, a page at a time.
   */
  async keep(): Promise<void> {
    const swept = this.flows.sweep().then(
      () => null,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    // Lines with a free slot (by the limit their runs joined under), the longest waiting first.
    for (const line of await this.flows.linesWithRoom(KEEPER_GRACE_MS, 100)) {
      const limit = (await this.controlOf(line.workspace, line.triggerId))?.concurrency?.limit ?? MAX_FLOW_LIMIT;
      await this.admitWaiting({ ...line, limit });
    }
    const failed = await swept;
    if (failed) throw failed;
  }

  /**
   * The runs leave the line; those still queued (not cancelled meanwhile) take slots and are queued again by a
   * message each, in the outbox of the same transaction.
   */
  private async admit(tx: EntityManager, slot: Keyed, runs: readonly LinedRun[]): Promise<OutboxMessage[]> {
    if (runs.length === 0) return [];
    const queued = await this.runs.admitted(
      tx,
      runs.map((run) => ({ jobId: run.runId, queuedAt: run.queuedAt })),
    );
    const live = runs.filter((run) => queued.has(run.runId));
    await this.flows.unline(tx, runs);
    await this.flows.takeSlots(tx, slot, live);
    const messages = live.map((run) =>
      returnMessage({ ...run, workspace: slot.workspace, traceparent: queued.get(run.runId) ?? null }, 'admit'),
    );
    await this.outbox.write(tx, messages);
    return messages;
  }
}
