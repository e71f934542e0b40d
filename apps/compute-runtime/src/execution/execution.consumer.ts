import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Consumers,
  type Disposition,
  dispositionOfError,
  type ExecRequest,
  SignalboxError,
} from '@signalbox/contracts';
import { decodeJson, DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { FunctionConfigStore } from './function-config.store';
import { RunLifecycle } from './run-lifecycle.service';

/**
 * A run's message as the handler uses it: delivered by the durable consumer (a `JsMsg`), or read ahead of its
 * turn by the FairShareScout, for which acking removes it from the stream and a nak leaves it there.
 */
export type ExecDelivery = Pick<JsMsg, 'seq' | 'ack' | 'nak' | 'working' | 'term'> & { json<T>(): T };

/**
 * Pulls execution requests from the durable consumer shared by every runtime replica and hands each to the
 * run lifecycle. On shutdown it stops pulling and lets the runs in progress finish; unfinished ones are
 * redelivered. It counts the runs it has in hand per workspace, for the FairShareScout.
 */
@Injectable()
export class ExecutionConsumer extends DurableConsumer {
  private readonly logger = new Logger(ExecutionConsumer.name);
  private readonly inHand = new Map<string, number>();
  private readonly seqsInHand = new Set<number>();
  private handling = 0;

  constructor(
    nats: NatsClient,
    private readonly lifecycle: RunLifecycle,
    @Inject(EXECUTION_SETTINGS) private readonly settings: ExecutionSettings,
    private readonly configs: FunctionConfigStore,
  ) {
    super(nats, {
      consumer: Consumers.runtimeExecutions,
      concurrency: settings.concurrency,
      logger: messagingLogger(new Logger(ExecutionConsumer.name)),
    });
  }

  /**
   * Runs start once data-service has filled the config buckets at least once: on a NATS that lost its data,
   * a missing function means "not published yet", and failing the run for it would lose it.
   */
  protected override ready(): Promise<void> {
    return this.configs.whenLoaded();
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

  protected handle(message: JsMsg): Promise<Disposition> {
    return this.process(message);
  }

  /** Handles one run's message, however it arrived, and says what becomes of it. Never throws. */
  async process(message: ExecDelivery): Promise<Disposition> {
    let request: ExecRequest;
    try {
      request = decodeJson<ExecRequest>(message, 'execution request');
      if (typeof request?.runId !== 'string' || typeof request.workspace !== 'string') {
        throw new SignalboxError('VALIDATION_ERROR', 'not an execution request: runId and workspace are strings');
      }
    } catch (error) {
      return dispositionOfError(error, Consumers.runtimeExecutions.retryAfterErrorMs);
    }
    const workspace = request.workspace;
    this.handling++;
    this.inHand.set(workspace, this.inHandOf(workspace) + 1);
    this.seqsInHand.add(message.seq);
    try {
      return await this.lifecycle.advance(request, () => message.working());
    } catch (error) {
      this.logger.warn(`run ${request.runId} could not be processed; retrying: ${String(error)}`);
      return dispositionOfError(error, Consumers.runtimeExecutions.retryAfterErrorMs);
    } finally {
      this.handling--;
      const left = this.inHandOf(workspace) - 1;
      if (left > 0) this.inHand.set(workspace, left);
      else this.inHand.delete(workspace);
      this.seqsInHand.delete(message.seq);
    }
  }
}
