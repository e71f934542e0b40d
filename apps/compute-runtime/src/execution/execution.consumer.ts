import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Consumers, type ExecRequest, type FunctionRun, liveRun, retryDelayMs } from '@signalbox/contracts';
import { DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { type ClaimOutcome, RunRepository } from '../runs/run.repository';
import type { SandboxResult } from '../sandbox/sandbox.types';
import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { ExecutionService, failure } from './execution.service';
import { FunctionConfigStore } from './function-config.store';

/** Histogram buckets for run times: milliseconds to SANDBOX_MAX_TIMEOUT_MS (300 s). */
const RUN_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The outputs of the steps earlier attempts completed, for `api.step` to return instead of running them. */
function memoizedSteps(run: FunctionRun): Record<string, unknown> {
  const memo: Record<string, unknown> = {};
  for (const step of run.steps) if (step.status === 'completed') memo[step.id] = step.output ?? null;
  return memo;
}

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
 * A run's message as the handler uses it: delivered by the durable consumer (a `JsMsg`), or read ahead of its
 * turn by the FairShareScout, for which acking removes it from the stream and a nak leaves it there.
 */
export type ExecDelivery = Pick<JsMsg, 'seq' | 'ack' | 'nak' | 'working' | 'term'> & { json<T>(): T };

/**
 * Pulls execution requests from the durable consumer shared by every runtime replica, claims each run
 * (so a redelivery never runs it twice), runs it in the sandbox, records the outcome, then acks. On
 * shutdown it stops pulling and lets the runs in progress finish; unfinished ones are redelivered. It counts
 * the runs it has in hand per workspace, for the FairShareScout.
 */
@Injectable()
export class ExecutionConsumer extends DurableConsumer {
  private readonly logger = new Logger(ExecutionConsumer.name);
  private readonly attempts: Counter<'outcome'>;
  private readonly duration: Histogram<'status'>;
  private readonly startDelay: Histogram<never>;
  private readonly inHand = new Map<string, number>();
  private readonly seqsInHand = new Set<number>();
  private handling = 0;

  constructor(
    private readonly nats: NatsClient,
    private readonly runs: RunRepository,
    private readonly execution: ExecutionService,
    @Inject(EXECUTION_SETTINGS) private readonly settings: ExecutionSettings,
    metrics: MetricsService,
    private readonly configs: FunctionConfigStore,
  ) {
    super(nats, {
      consumer: Consumers.runtimeExecutions,
      concurrency: settings.concurrency,
      logger: messagingLogger(new Logger(ExecutionConsumer.name)),
    });
    this.attempts = metrics.counter(
      'signalbox_run_attempts_total',
      'Execution requests handled, by outcome: completed, failed, timed_out (final), retry_scheduled, ' +
        'abandoned, already_finished (a redelivery), busy (another runtime holds the lease), error (naked).',
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

  /**
   * Runs start once data-service has filled the config buckets at least once: on a NATS that lost its data,
   * a missing function means "not published yet", and failing the run for it would lose it.
   */
  protected override ready(): Promise<void> {
    return this.configs.whenLoaded();
  }

  /** A dispatched run is recorded and claimed at once; a known run goes through the conditional claim. */
  private async claim(request: ExecRequest, leaseMs: number): Promise<ClaimOutcome> {
    if (request.run) {
      const inserted = await this.runs.insertClaimed(
        { id: request.runId, workspace: request.workspace, ...request.run },
        leaseMs,
      );
      if (inserted) return { kind: 'claimed', run: inserted };
    }
    return this.runs.claim(request.runId, request.workspace, leaseMs);
  }

  /** Every message the consumer pulled is in hand: a run further back in the queue waits unless read ahead. */
  get saturated(): boolean {
    return this.handling >= this.settings.concurrency;
  }

  /** Runs of this workspace in hand here (pulled, read ahead, waiting for a worker or running). */
  inHandOf(workspace: string): number {
    return this.inHand.get(workspace) ?? 0;
  }

  /** Whether this replica holds the message with this stream sequence. */
  holds(seq: number): boolean {
    return this.seqsInHand.has(seq);
  }

  protected handle(message: JsMsg): Promise<void> {
    return this.process(message);
  }

  /** Handles one run's message, however it arrived. Never throws. */
  async process(message: ExecDelivery): Promise<void> {
    let request: ExecRequest;
    try {
      request = message.json<ExecRequest>();
    } catch {
      this.logger.error(`malformed execution request (seq ${message.seq}); terminated`);
      message.term();
      return;
    }
    const workspace = request.workspace;
    this.handling++;
    this.inHand.set(workspace, this.inHandOf(workspace) + 1);
    this.seqsInHand.add(message.seq);
    try {
      await this.processRequest(message, request);
    } finally {
      this.handling--;
      const left = this.inHandOf(workspace) - 1;
      if (left > 0) this.inHand.set(workspace, left);
      else this.inHand.delete(workspace);
      this.seqsInHand.delete(message.seq);
    }
  }

  private async processRequest(message: ExecDelivery, request: ExecRequest): Promise<void> {
    const notify = request.run?.notifyFinished === true;
    try {
      const { leaseMs, maxAttempts } = this.settings;
      const claim = await this.claim(request, leaseMs);
      if (claim.kind === 'done') {
        this.attempts.inc({ outcome: 'already_finished' });
        // Finished already: never run twice. Publish its event again in case the last runtime died
        // between recording the outcome and publishing (the event id de-duplicates it).
        await this.execution.announce(request.workspace, request.runId, notify);
        message.ack();
        return;
      }
      if (claim.kind === 'busy') {
        this.attempts.inc({ outcome: 'busy' });
        message.nak(claim.retryInMs); // a live runtime has it; look again when its lease would have expired
        return;
      }
      const run = claim.run;
      // Attempts since the last one that finished were cut short: their runtime died. Retries by policy (and a
      // manual retry after an abandoned run) start the count again.
      const crashed = run.attempt - 1 - (run.attempts.at(-1)?.attempt ?? 0);
      if (crashed >= maxAttempts) {
        if (await this.runs.finish(run, run.attempt, run.functionVersion, abandoned(run.jobId, maxAttempts)))
          this.nats.publishLive(run.workspaceSlug, liveRun(run, 'failed'));
        this.attempts.inc({ outcome: 'abandoned' });
        await this.execution.announce(run.workspaceSlug, run.jobId, notify);
        message.ack();
        return;
      }
      // Heartbeat: keep the message (ack wait) and the lease while the run goes on.
      const heartbeat = setInterval(
        () => {
          message.working();
          void this.runs.renewLease(run, leaseMs).catch(() => undefined);
        },
        Math.max(250, Math.floor(leaseMs / 3)),
      );
      if (run.attempt === 1) this.startDelay.observe(Math.max(0, Date.now() - Date.parse(run.queuedAt)) / 1000);
      this.nats.publishLive(run.workspaceSlug, liveRun(run, 'running'));
      let finished: SandboxResult | null = null;
      try {
        const { outcome, functionVersion, retry } = await this.execution.execute(run, memoizedSteps(run));
        this.duration.observe({ status: outcome.status }, outcome.durationMs / 1000);
        if ((outcome.status === 'failed' || outcome.status === 'timed_out') && run.attempt < retry.maxAttempts) {
          // The trigger's retry policy: back to queued, and this message comes back when the next attempt is due.
          const delayMs = retryDelayMs(retry, run.attempt);
          if (await this.runs.scheduleRetry(run, run.attempt, functionVersion, outcome, delayMs)) {
            this.attempts.inc({ outcome: 'retry_scheduled' });
            const due = new Date(Date.now() + delayMs).toISOString();
            this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt + 1 }, 'queued', due));
            message.nak(delayMs);
            return;
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
      if (finished) await this.execution.announceOutcome(run, finished, notify);
      else await this.execution.announce(run.workspaceSlug, run.jobId, notify);
      message.ack();
    } catch (error) {
      this.attempts.inc({ outcome: 'error' });
      this.logger.warn(`run ${request.runId} could not be processed; retrying: ${String(error)}`);
      message.nak(5_000);
    }
  }
}
