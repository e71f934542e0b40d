import { Inject, Injectable } from '@nestjs/common';
import {
  FunctionEvents,
  type FunctionRun,
  type FunctionRunEvent,
  type RetryPolicy,
  retryPolicyOf,
  type RunFinished,
  type RunStatus,
  Subjects,
  type TriggerConfig,
} from '@signalbox/contracts';
import { openSecretTree, SecretOpener } from '@signalbox/crypto';
import { NatsClient } from '@signalbox/messaging';
import { activeTraceId } from '@signalbox/observability';

import { priorityMsOf } from '../flow/flow-control';
import { DEBOUNCED, RunRepository } from '../runs/run.repository';
import { SandboxPool } from '../sandbox/sandbox.pool';
import type { SandboxResult } from '../sandbox/sandbox.types';
import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { FunctionConfigStore } from './function-config.store';

/** A failure that another attempt cannot fix (the function or trigger is gone, a secret cannot be opened). */
const NO_RETRY: RetryPolicy = { maxAttempts: 1, backoff: 'fixed', delayMs: 1000 };

/**
 * How long a run waits for a function or trigger missing from the config buckets before it fails for it: a
 * write data-service could not make (a JetStream leader election) is healed by its reconcile within seconds.
 */
export const CONFIG_GRACE_MS = 10_000;
const CONFIG_POLL_MS = 500;

/** `read()`, again every CONFIG_POLL_MS while it answers null, for up to CONFIG_GRACE_MS. */
async function awaitConfig<T>(read: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + CONFIG_GRACE_MS;
  for (;;) {
    const found = await read();
    if (found || Date.now() >= deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, CONFIG_POLL_MS));
  }
}

const finishedNotice = (
  runId: string,
  status: RunStatus,
  result: unknown,
  error: { name: string; message: string } | null,
  durationMs: number | null,
): RunFinished => ({
  runId,
  status,
  result,
  error: error ? { name: error.name, message: error.message } : null,
  durationMs,
});

/** Within JetStream's default duplicate window (`NATS_DUPLICATE_WINDOW_MS`, 2 min), with room to spare. */
const CANCEL_ANNOUNCED_AGAIN_WITHIN_MS = 60_000;

/**
 * A run's platform event id, by which JetStream drops a second publish of it (an announce made again). One attempt
 * number can be cancelled twice (cancelled while queued, retried, cancelled again before it started): a cancel's
 * id also names when it was recorded.
 */
export function eventIdOf(
  run: Pick<FunctionRun, 'jobId' | 'attempt'>,
  status: RunStatus,
  finishedAt: string | null,
): string {
  const id = `run.${run.jobId}.${run.attempt}.${status}`;
  return status === 'cancelled' && finishedAt ? `${id}.${Date.parse(finishedAt)}` : id;
}

/** The platform event of a final status: `function.completed`, `function.cancelled`, else `function.failed`. */
const eventOf = (status: RunStatus) =>
  status === 'completed'
    ? FunctionEvents.completed
    : status === 'cancelled'
      ? FunctionEvents.cancelled
      : FunctionEvents.failed;

export const failure = (name: string, message: string): SandboxResult => ({
  runId: '',
  status: 'failed',
  error: { name, message },
  logs: [],
  logsTruncated: false,
  steps: [],
  durationMs: 0,
  cpuTimeMs: 0,
});

/** Runs one claimed run in the sandbox and announces its outcome. */
@Injectable()
export class ExecutionService {
  constructor(
    private readonly nats: NatsClient,
    private readonly runs: RunRepository,
    private readonly configs: FunctionConfigStore,
    private readonly sandbox: SandboxPool,
    private readonly opener: SecretOpener,
    @Inject(EXECUTION_SETTINGS) private readonly settings: ExecutionSettings,
  ) {}

  /**
   * `function.completed`, `.failed` or `.cancelled` for a finished run, read back from its record; with `notify`,
   * also its RunFinished for whoever waits on it.
   */
  async announce(workspace: string, runId: string, notify = false): Promise<void> {
    const found = await this.runs.find(workspace, runId);
    const run = found?.run;
    if (!run || run.status === 'queued' || run.status === 'running' || run.status === 'sleeping') return;
    // A cancel announced itself. A message of the run that comes back later (a retry's, after its backoff) would
    // announce it again past JetStream's duplicate window, so only a recent cancel is announced again.
    const finishedMs = run.finishedAt ? Date.parse(run.finishedAt) : 0;
    if (run.status === 'cancelled' && Date.now() - finishedMs > CANCEL_ANNOUNCED_AGAIN_WITHIN_MS) return;
    // A run that a later one replaced (debounce) never started, and nobody cancelled it: nothing to announce.
    if (run.status === 'cancelled' && run.error?.name === DEBOUNCED) return;
    await this.announceRecorded(run, notify);
  }

  /**
   * The platform event of a final run as it was just read or written (a bulk cancel's runs); with `notify`, also its
   * RunFinished for a caller that may wait on it.
   */
  async announceRecorded(run: FunctionRun, notify = false): Promise<void> {
    if (notify) this.notifyFinished(finishedNotice(run.jobId, run.status, run.result, run.error, run.durationMs));
    await this.publishEvent(run, run.status, run.durationMs, run.error, run.finishedAt);
  }

  /**
   * Tells a waiting endpoint call that its run finished (core NATS, not stored: if nobody listens any more,
   * the caller had its 202 and reads the run record). A result too large for one message is left out.
   */
  notifyFinished(notice: RunFinished): void {
    const nc = this.nats.connection;
    const subject = Subjects.runFinished(notice.runId);
    const encoded = Buffer.from(JSON.stringify(notice));
    nc.publish(
      subject,
      encoded.length <= this.nats.maxBodyBytes
        ? encoded
        : JSON.stringify({ ...notice, result: null, resultOmitted: true }),
    );
  }

  /**
   * The same, built from the outcome just recorded (no read): the hot path. The waiting caller hears first: the
   * outcome is recorded already, and the event's stored acknowledgement takes a round trip to JetStream.
   */
  async announceOutcome(
    run: Pick<FunctionRun, 'jobId' | 'workspaceSlug' | 'triggerId' | 'functionId' | 'attempt'>,
    outcome: SandboxResult,
    notify = false,
  ): Promise<void> {
    if (notify) {
      this.notifyFinished(
        finishedNotice(run.jobId, outcome.status, outcome.result ?? null, outcome.error ?? null, outcome.durationMs),
      );
    }
    await this.publishEvent(run, outcome.status, outcome.durationMs, outcome.error ?? null, null);
  }

  private async publishEvent(
    run: Pick<FunctionRun, 'jobId' | 'workspaceSlug' | 'triggerId' | 'functionId' | 'attempt'>,
    status: RunStatus,
    durationMs: number | null,
    error: { name: string; message: string } | null,
    finishedAt: string | null,
  ): Promise<void> {
    const workspace = run.workspaceSlug;
    const event: FunctionRunEvent = {
      id: eventIdOf(run, status, finishedAt),
      event: eventOf(status),
      workspace,
      timestamp: finishedAt ?? new Date().toISOString(),
      data: {
        runId: run.jobId,
        triggerId: run.triggerId,
        functionId: run.functionId,
        status,
        attempt: run.attempt,
        durationMs,
        error: error ? { name: error.name, message: error.message } : null,
      },
    };
    await this.nats.publish(Subjects.platformEvent(workspace, event.event), event, { msgID: event.id });
  }

  /**
   * Runs one attempt. Answers the outcome, the function version it ran, and the trigger's retry policy (no
   * retry when the trigger is gone). `memoizedSteps`: outputs of steps an earlier attempt completed. `known`: the
   * trigger as the caller read it already (it is waited for only when that found none).
   */
  async execute(
    run: Pick<FunctionRun, 'workspaceSlug' | 'triggerId' | 'functionId' | 'jobId' | 'attempt' | 'executionParams'>,
    memoizedSteps: Readonly<Record<string, unknown>> = {},
    known: TriggerConfig | null = null,
  ): Promise<{ outcome: SandboxResult; functionVersion: number | null; retry: RetryPolicy }> {
    const { workspaceSlug: workspace, triggerId, functionId, jobId: runId, executionParams } = run;
    const [fn, trigger] = await Promise.all([
      awaitConfig(() => this.configs.function(workspace, functionId)),
      known ?? awaitConfig(() => this.configs.trigger(workspace, triggerId)),
    ]);
    const retry = trigger ? retryPolicyOf(trigger.executionType, trigger.triggerMetadata) : NO_RETRY;
    if (!fn)
      return {
        outcome: failure('FunctionNotFound', `compute function ${functionId} no longer exists`),
        functionVersion: null,
        retry: NO_RETRY,
      };
    // Without its trigger a run would get no params (or a deleted trigger's): after the grace it fails instead.
    // data-service removes a trigger from the bucket when it is deleted, and never publishes one it cannot store.
    if (!trigger)
      return {
        outcome: failure(
          'TriggerNotFound',
          `trigger ${triggerId} is not in the execution plane's configuration (it was deleted, or could not be published)`,
        ),
        functionVersion: fn.version,
        retry: NO_RETRY,
      };
    let triggerParams: unknown;
    try {
      // Secret params are opened here, in the execution plane, for this run only, at any depth.
      triggerParams =
        (await openSecretTree(
          'params',
          trigger.triggerMetadata.params,
          { workspace, ownerId: triggerId },
          this.opener,
        )) ?? {};
    } catch (error) {
      return {
        outcome: failure('SecretError', error instanceof Error ? error.message : String(error)),
        functionVersion: fn.version,
        retry: NO_RETRY,
      };
    }
    const timeoutMs = Math.min(fn.timeoutMs, this.settings.maxTimeoutMs);
    const outcome = await this.sandbox.run({
      runId,
      attempt: run.attempt,
      workspace,
      code: fn.code,
      executionParams,
      triggerParams,
      limits: { ...this.settings.limits, memoryMb: fn.memoryMb, timeoutMs, cpuTimeMs: timeoutMs },
      fetch: this.settings.fetch,
      memoizedSteps,
      priorityMs: priorityMsOf(trigger.triggerMetadata.priority),
      traced: activeTraceId() !== undefined, // the attempt's span is sampled
    });
    return { outcome, functionVersion: fn.version, retry };
  }
}
