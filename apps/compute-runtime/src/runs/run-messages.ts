import { randomUUID } from 'node:crypto';

import { type ExecRequest, type FunctionRun, Subjects } from '@signalbox/contracts';
import type { OutboxMessage } from '@signalbox/persistence';

/** A run's message on EXECUTIONS: the runtime that takes it reads the run from its row. */
export function runMessage(runId: string, workspace: string, functionId: string, msgId: string): OutboxMessage {
  const body: ExecRequest = { runId, workspace };
  return { msgId, subject: Subjects.execRequest(workspace, functionId), body };
}

/**
 * The message of a run's next attempt after a user's retry, under an id of its own (`<runId>.retry.<attempt>.<uuid>`):
 * a run may be retried twice at one attempt number (retried, cancelled before it started, retried again), and
 * JetStream would drop a second message under one id. The conditional requeue lets one retry write it.
 */
export const retryMessage = (run: FunctionRun): OutboxMessage =>
  runMessage(run.jobId, run.workspaceSlug, run.functionId, `${run.jobId}.retry.${run.attempt + 1}.${randomUUID()}`);

/**
 * The message that brings back a run that waited (admitted to a concurrency slot, woken from a sleep, due after a
 * throttle or a debounce): a new id each time (`<runId>.<why>.<uuid>`), since a run may wait more than once and
 * JetStream would drop a second message under one id.
 */
export const returnMessage = (
  run: {
    readonly runId: string;
    readonly workspace: string;
    readonly functionId: string;
    /** The trace of the work that recorded the run: the attempt it brings continues it (null: none, a trace of its own). */
    readonly traceparent: string | null;
  },
  why: 'admit' | 'wake',
): OutboxMessage => ({
  ...runMessage(run.runId, run.workspace, run.functionId, `${run.runId}.${why}.${randomUUID()}`),
  traceparent: run.traceparent,
});
