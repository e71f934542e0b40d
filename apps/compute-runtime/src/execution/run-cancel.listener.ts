import type { NatsConnection } from '@nats-io/nats-core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Subjects } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import { SandboxPool } from '../sandbox/sandbox.pool';

const PREFIX = Subjects.runCancelled('');

/**
 * Hears that a run was cancelled (`Subjects.runCancelled`, sent by the replica that recorded the cancel) and
 * stops it in this replica's sandbox if it runs here. Core NATS, so a notice can be lost: the run's heartbeat
 * finds it cancelled too (RunLifecycle).
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
          if (this.sandbox.cancel(runId)) this.logger.log(`run ${runId} cancelled: stopped in the sandbox`);
        },
      });
    });
  }
}
