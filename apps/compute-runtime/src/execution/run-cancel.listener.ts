import type { NatsConnection } from '@nats-io/nats-core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type FunctionRun, Subjects } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import { SandboxPool } from '../sandbox/sandbox.pool';

const PREFIX = Subjects.runCancelled('');

/**
 * Tells every replica that this attempt of the run was cancelled (the body names the attempt: the run retried
 * after it is another attempt, which the notice must not stop).
 */
export function publishCancelled(nats: NatsClient, run: Pick<FunctionRun, 'jobId' | 'attempt'>): void {
  nats.connection.publish(Subjects.runCancelled(run.jobId), JSON.stringify({ attempt: run.attempt }));
}

/** The attempt a notice names, or null (a notice from a replica that named none: the holder's heartbeat stops it). */
function attemptOf(data: Uint8Array): number | null {
  try {
    const attempt = (JSON.parse(Buffer.from(data).toString('utf8')) as { attempt?: unknown } | null)?.attempt;
    return Number.isInteger(attempt) ? (attempt as number) : null;
  } catch {
    return null;
  }
}

/**
 * Hears that an attempt of a run was cancelled (`Subjects.runCancelled`, sent by the replica that recorded the
 * cancel) and stops it in this replica's sandbox if it runs here. Core NATS, so a notice can be lost: the attempt's
 * heartbeat finds it cancelled too (RunLifecycle).
 */
@Injectable()
export class RunCancelListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(RunCancelListener.name);
  private subscribedOn: NatsConnection | null = null;

  constructor(
    private readonly nats: NatsClient,
    private readonly sandbox: SandboxPool,
  ) {}

  onApplicationBootstrap(): void {
    // After every (re)connect: a new connection needs the subscription again; a resumed one keeps it.
    this.nats.onReady(() => {
      const connection = this.nats.connection;
      if (this.subscribedOn === connection) return;
      this.subscribedOn = connection;
      connection.subscribe(Subjects.runCancelled('*'), {
        callback: (error, message) => {
          if (error) return;
          const runId = message.subject.slice(PREFIX.length);
          const attempt = attemptOf(message.data);
          if (attempt === null) return;
          if (this.sandbox.cancel(runId, attempt)) {
            this.logger.log(`run ${runId} (attempt ${attempt}) cancelled: stopped in the sandbox`);
          }
        },
      });
    });
  }
}
