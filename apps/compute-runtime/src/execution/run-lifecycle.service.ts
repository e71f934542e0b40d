import { Inject, Injectable } from '@nestjs/common';
import {
  type Disposition,
  Dispositions,
  type ExecRequest,
  type FunctionRun,
  liveRun,
  retryDelayMs,
  type TriggerConfig,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { inSpan, MetricsService, recordSpan, SpanKind } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { flowControlOf } from '../flow/flow-control';
import { FlowGate, type HeldSlot } from '../flow/flow-gate.service';
import { type ClaimOutcome, type FlowState, RunRepository } from '../runs/run.repository';
import { SandboxPool } from '../sandbox/sandbox.pool';
import type { SandboxResult } from '../sandbox/sandbox.types';
import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { ExecutionService, failure } from './execution.service';
import { FunctionConfigStore } from './function-config.store';

/**
 * What `api.sleep` may make of one run: at most this many sleeps, and no wake later than a year after it was queued
 * (a sleeping run keeps its day's runs from expiring). Past either, the run fails.
 */
const MAX_SLEEPS = 1000;
const MAX_RUN_LIFETIME_MS = 365 * 86_400_000;

/** How soon a run whose record was lost comes back to be recorded again. */
const RECORD_LOST_RETRY_MS = 1000;

/** Histogram buckets for run times: milliseconds to SANDBOX_MAX_TIMEOUT_MS (300 s). */
const RUN_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The outputs of the steps earlier attempts completed, for `api.step` to return instead of running them. */
function memoizedSteps(run: FunctionRun): Record<string, unknown> {
  const memo: Record<string, unknown> = {};
  for (const step of run.steps) if (step.status === 'completed') memo[step.id] = step.output ?? null;
  return memo;
}

/** What a run did before the lifecycle refused its sleep (the sleep itself left out): kept on the failure. */
const logsOf = (outcome: SandboxResult) => ({
  runId: outcome.runId,
  logs: outcome.logs,
  logsTruncated: outcome.logsTruncated,
  steps: outcome.steps.filter((step) => step.id !== outcome.sleepId),
  durationMs: outcome.durationMs,
  cpuTimeMs: outcome.cpuTimeMs,
});

function abandoned(runId: string, maxAttempts: number): SandboxResult {
  return {
    ...failure(
      'RunAbandoned',
      `the runtime running this function stopped ${maxAttempts} times before it finished; the run is not retried again`,
    ),
    runId,
  };
}

/**
 * A run's life from its execution request to its final status, whoever holds the request:
 * 1. claim: a dispatched run is recorded and claimed at once, a known one through the conditional claim, so a
 *    redelivery never runs it twice; a run another live runtime holds waits until that lease would lapse;
 * 2. a run whose runtimes died `maxAttempts` times is abandoned;
 * 2b. the trigger's flow control (FlowGate) may hold it back: it waits, queued, and comes back later;
 * 3. run it in the sandbox, keeping the lease and the message while it runs (`working`);
 * 3b. a run that called `api.sleep` is suspended (`sleeping`); the RunWaker queues it again when it is due;
 * 4. a failure the trigger's retry policy covers goes back to queued, its message due after the backoff;
 * 5. record the outcome once, announce it (a finished run is announced again: the event id de-duplicates it).
 * It answers what becomes of the request's message.
 */
@Injectable()
export class RunLifecycle {
  private readonly attempts: Counter<'outcome'>;
  private readonly duration: Histogram<'status'>;
  private readonly startDelay: Histogram<never>;

  constructor(
    private readonly nats: NatsClient,
    private readonly runs: RunRepository,
    private readonly execution: ExecutionService,
    private readonly sandbox: SandboxPool,
    private readonly gate: FlowGate,
    private readonly configs: FunctionConfigStore,
    @Inject(EXECUTION_SETTINGS) private readonly settings: ExecutionSettings,
    metrics: MetricsService,
  ) {
    this.attempts = metrics.counter(
      'signalbox_run_attempts_total',
      'Execution requests handled, by outcome: completed, failed, timed_out (final), retry_scheduled, ' +
        'abandoned, already_finished (a redelivery), busy (another runtime holds the lease), ' +
        'waiting (held back by a flow-control gate), sleeping (suspended by api.sleep), error (naked).',
      ['outcome'],
    );
    this.duration = metrics.histogram(
      'signalbox_run_duration_seconds',
      'Wall-clock time of one attempt in the sandbox, by its status.',
      ['status'],
      RUN_SECONDS_BUCKETS,
    );
    this.startDelay = metrics.histogram(
      'signalbox_run_start_delay_seconds',
      'From a run being queued to its first attempt starting (the backlog of the compute-runtime consumer).',
      [],
      RUN_SECONDS_BUCKETS,
    );
  }

  /** Takes a run's execution request as far as it goes now; a throw leaves it for a later delivery. */
  async advance(request: ExecRequest, working: () => void): Promise<Disposition> {
    try {
      return await this.advanceOnce(request, working);
    } catch (error) {
      this.attempts.inc({ outcome: 'error' });
      throw error;
    }
  }

  private async advanceOnce(request: ExecRequest, working: () => void): Promise<Disposition> {
    const notify = request.run?.notifyFinished === true;
    const { leaseMs, maxAttempts } = this.settings;
    const claim = await this.claim(request, leaseMs);
    if (claim.kind === 'done') {
      // A dispatched run with no record at all lost it in a Postgres crash (its insert, or the original's it
      // raced, did not wait for the flush): the message comes back and records it.
      if (request.run && (await this.recordLost(request.workspace, request.runId))) {
        return Dispositions.retry(RECORD_LOST_RETRY_MS);
      }
      this.attempts.inc({ outcome: 'already_finished' });
      // Finished already: never run twice. Publish its event again in case the last runtime died
      // between recording the outcome and publishing (the event id de-duplicates it).
      await this.execution.announce(request.workspace, request.runId, notify);
      return Dispositions.ack();
    }
    if (claim.kind === 'busy') {
      this.attempts.inc({ outcome: 'busy' });
      return Dispositions.retry(claim.retryInMs); // a live runtime has it; look again when its lease would lapse
    }
    const run = claim.run;
    const trigger = await this.configs.trigger(run.workspaceSlug, run.triggerId);
    const flow = flowControlOf(trigger);
    // An endpoint's caller waits for its run, also one that comes back by a message of its own (let through by a
    // concurrency limit, woken from a sleep), without the gateway's `notifyFinished`.
    const notifyRun = notify || trigger?.executionType === 'endpoint';
    // Attempts since the last one that finished were cut short: their runtime died. Retries by policy (and a
    // manual retry after an abandoned run) start the count again.
    const crashed = run.attempt - 1 - (run.attempts.at(-1)?.attempt ?? 0);
    if (crashed >= maxAttempts) {
      if (await this.runs.finish(run, run.attempt, run.functionVersion, abandoned(run.jobId, maxAttempts)))
        this.nats.publishLive(run.workspaceSlug, liveRun(run, 'failed'));
      this.attempts.inc({ outcome: 'abandoned' });
      await this.execution.announce(run.workspaceSlug, run.jobId, notifyRun);
      return Dispositions.ack();
    }
    let slot: HeldSlot | null = null;
    if (flow) {
      const gate = await this.gate.pass(run, claim.flow, flow);
      if (gate.kind === 'gone') {
        // Cancelled or replaced (final), or its lease lapsed and another runtime took it over: look again then.
        const status = await this.runs.statusOf(run.workspaceSlug, run.jobId);
        if (status === 'running' || status === 'queued' || status === 'sleeping') {
          this.attempts.inc({ outcome: 'busy' });
          return Dispositions.retry(leaseMs);
        }
        // Cancelled before this attempt reached a sandbox: nothing to wait for before it may be retried.
        if (status === 'cancelled') await this.runs.stopped(run, run.attempt).catch(() => undefined);
        this.attempts.inc({ outcome: 'already_finished' });
        return Dispositions.ack();
      }
      if (gate.kind === 'wait') {
        // Published again when it gets a slot, or when it is due (RunWaker): this message is done.
        this.attempts.inc({ outcome: 'waiting' });
        return Dispositions.ack();
      }
      slot = gate.slot;
    }
    try {
      return await this.runClaimed(run, trigger, claim.flow, notifyRun, working);
    } finally {
      // The run's slot was freed with its outcome (or its retry, or its sleep), or is now (it was cancelled): the
      // next run in line takes it. Should this fail, the keeper does it a moment later.
      if (slot) await this.gate.release(slot, run.jobId).catch(() => undefined);
    }
  }

  /** Steps 3 to 5 for a claimed run that may go. */
  private async runClaimed(
    run: FunctionRun,
    trigger: TriggerConfig | null,
    state: FlowState,
    notify: boolean,
    working: () => void,
  ): Promise<Disposition> {
    const { leaseMs } = this.settings;
    // Heartbeat: keep the message (ack wait) and the lease while the attempt goes on. An attempt no longer the one
    // running is stopped: its run was cancelled (and the notice lost), or this runtime stalled past its lease and
    // another one took the run over (two attempts must not go on side by side). A beat that answers after the
    // attempt left the sandbox is ignored.
    let ended = false;
    const heartbeat = setInterval(
      () => {
        working();
        void this.runs
          .renewLease(run, run.attempt, leaseMs)
          .then((running) => {
            if (!running && !ended) this.sandbox.cancel(run.jobId, run.attempt);
          })
          .catch(() => undefined);
      },
      Math.max(250, Math.floor(leaseMs / 3)),
    );
    if (run.attempt === 1) this.startDelay.observe(Math.max(0, Date.now() - Date.parse(run.queuedAt)) / 1000);
    this.nats.publishLive(run.workspaceSlug, liveRun(run, 'running'));
    let finished: SandboxResult | null;
    try {
      const executed = await inSpan(
        'run attempt',
        {
          attributes: {
            'signalbox.workspace': run.workspaceSlug,
            'signalbox.run.id': run.jobId,
            'signalbox.run.attempt': run.attempt,
            'signalbox.function.id': run.functionId,
            'signalbox.trigger.id': run.triggerId,
          },
        },
        async (span) => {
          const result = await this.execution.execute(run, memoizedSteps(run), trigger);
          span.setAttribute('signalbox.run.status', result.outcome.status);
          // The run's api.step and api.fetch calls, timed by the sandbox worker (the first MAX_SPANS of them).
          for (const { name, startMs, endMs, attributes, failed } of result.outcome.spans ?? []) {
            const kind = name === 'api.fetch' ? SpanKind.CLIENT : SpanKind.INTERNAL;
            recordSpan(name, { kind, attributes, startMs, endMs, failed });
          }
          if (result.outcome.spansDropped) span.setAttribute('signalbox.spans.dropped', result.outcome.spansDropped);
          return result;
        },
      ).finally(() => {
        // From here the attempt is out of the sandbox and its outcome is being recorded: a sleep recorded now hands
        // its attempt number to the attempt that wakes it, which a late beat's stop must not reach.
        ended = true;
      });
      const { functionVersion, retry } = executed;
      let { outcome } = executed;
      this.duration.observe({ status: outcome.status }, outcome.durationMs / 1000);
      const wakeAt = new Date(Date.now() + (outcome.sleepMs ?? 0));
      // A sleep past the run's bounds fails it, once: another attempt would only come back to the same sleep.
      let final = false;
      if (outcome.status === 'sleeping' && state.sleeps >= MAX_SLEEPS) {
        outcome = { ...failure('TooManySleeps', `a run may sleep at most ${MAX_SLEEPS} times`), ...logsOf(outcome) };
        final = true;
      } else if (outcome.status === 'sleeping' && wakeAt.getTime() > Date.parse(run.queuedAt) + MAX_RUN_LIFETIME_MS) {
        const latest = new Date(Date.parse(run.queuedAt) + MAX_RUN_LIFETIME_MS).toISOString();
        outcome = {
          ...failure('SleepTooLong', `a run may sleep until a year after it was queued (${latest}) at the latest`),
          ...logsOf(outcome),
        };
        final = true;
      }
      if (outcome.status === 'sleeping') {
        // Suspended: the record holds its steps (the sleep among them) until it wakes, and the message is done.
        if (await this.runs.sleep(run, run.attempt, functionVersion, outcome, wakeAt)) {
          this.attempts.inc({ outcome: 'sleeping' });
          this.nats.publishLive(run.workspaceSlug, liveRun(run, 'sleeping', wakeAt.toISOString()));
          return Dispositions.ack();
        }
        return await this.notRunning(run, notify); // cancelled while it ran
      }
      if (
        (outcome.status === 'failed' || outcome.status === 'timed_out') &&
        !final &&
        run.attempt < retry.maxAttempts
      ) {
        // The trigger's retry policy: back to queued, and the message comes back when the next attempt is due.
        const delayMs = retryDelayMs(retry, run.attempt);
        if (await this.runs.scheduleRetry(run, run.attempt, functionVersion, outcome, delayMs)) {
          this.attempts.inc({ outcome: 'retry_scheduled' });
          const due = new Date(Date.now() + delayMs).toISOString();
          this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt + 1 }, 'queued', due));
          return Dispositions.retry(delayMs);
        }
      }
      finished = (await this.runs.finish(run, run.attempt, functionVersion, outcome)) ? outcome : null;
      if (finished) {
        this.attempts.inc({ outcome: finished.status });
        this.nats.publishLive(run.workspaceSlug, liveRun(run, finished.status));
      }
    } finally {
      clearInterval(heartbeat);
    }
    if (finished) {
      await this.execution.announceOutcome(run, finished, notify);
      return Dispositions.ack();
    }
    return this.notRunning(run, notify);
  }

  /**
   * The attempt's outcome found the run not running it any more: another runtime finished it, or it was cancelled.
   * A run with no record at all lost it in a Postgres crash (a dispatched run's insert does not wait for the flush):
   * its message comes back and records it again, so the run is not lost.
   */
  private async notRunning(run: FunctionRun, notify: boolean): Promise<Disposition> {
    if (await this.recordLost(run.workspaceSlug, run.jobId)) return Dispositions.retry(RECORD_LOST_RETRY_MS);
    // Cancelled: this attempt is out of its sandbox, so the run may be retried now (should this fail, once its lease
    // lapses).
    await this.runs.stopped(run, run.attempt).catch(() => undefined);
    await this.execution.announce(run.workspaceSlug, run.jobId, notify);
    return Dispositions.ack();
  }

  /**
   * The run has no record at all: a dispatched run's insert does not wait for the WAL flush, so a Postgres crash can
   * lose it. Its message must come back (and record it again), not be acknowledged.
   */
  private async recordLost(workspace: string, runId: string): Promise<boolean> {
    return (await this.runs.statusOf(workspace, runId)) === null;
  }

  /** A dispatched run is recorded and claimed at once; a known run goes through the conditional claim. */
  private async claim(request: ExecRequest, leaseMs: number): Promise<ClaimOutcome> {
    if (request.run) {
      const inserted = await this.runs.insertClaimed(
        { id: request.runId, workspace: request.workspace, ...request.run },
        leaseMs,
      );
      if (inserted) return { kind: 'claimed', run: inserted, flow: { waitedFor: null, stage: 0, sleeps: 0 } };
    }
    return this.runs.claim(request.runId, request.workspace, leaseMs);
  }
}
