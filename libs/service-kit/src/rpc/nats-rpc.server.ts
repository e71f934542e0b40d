import type { Msg, Subscription } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { SignalboxError } from '@signalbox/contracts';
import { type NatsClient, type RpcAnswer, sendAnswer, traceContextOf } from '@signalbox/messaging';
import { inSpan, SpanKind } from '@signalbox/observability';
import { lastValueFrom } from 'rxjs';

/**
 * Nest's transport for the services' `@MessagePattern` handlers, on the service's own NATS connection
 * (one client library, one connection per process). Each pattern is a subscription in the service's queue
 * group. Whatever a handler returns or throws, and whatever sending the answer does, nothing escapes: the
 * requester gets the answer (in chunks when it is larger than one message) or an error, and the process
 * goes on. Answers are JSON (`RpcAnswer`), requests the JSON of their data (`requestService`).
 */
export class NatsRpcServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private listening = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly queue: string,
    private readonly log: LoggerService,
  ) {
    super();
  }

  listen(callback: () => void): void {
    // Core subscriptions survive reconnects by themselves: subscribe once, on the first connect.
    this.nats.onReady(() => {
      if (this.listening) return;
      this.listening = true;
      for (const [pattern, handler] of this.getHandlers()) {
        const subscription = this.nats.connection.subscribe(pattern, {
          queue: this.queue,
          callback: (error, msg) => {
            if (error) this.log.error(`request-reply subscription ${pattern} failed: ${error.message}`);
            else void this.answer(pattern, handler, msg);
          },
        });
        this.subscriptions.push(subscription);
      }
    });
    callback();
  }

  close(): void {
    for (const subscription of this.subscriptions.splice(0)) {
      if (!subscription.isClosed()) subscription.unsubscribe();
    }
  }

  on(): never {
    throw new Error('NatsRpcServer has no events');
  }

  unwrap<T>(): T {
    return this.nats.connection as T;
  }

  private async answer(pattern: string, handler: MessageHandler, msg: Msg): Promise<void> {
    let answer: RpcAnswer;
    try {
      const data: unknown = msg.data.length === 0 ? undefined : msg.json();
      // A server span continuing the requester's trace (tracing off: the handler, as it is).
      const parent = traceContextOf(msg.headers);
      const result: unknown = await inSpan(`${pattern} answer`, { kind: SpanKind.SERVER, parent }, async () =>
        lastValueFrom(this.transformToObservable<unknown>(await handler(data)), { defaultValue: null }),
      );
      answer = { response: result ?? null };
    } catch (error) {
      answer = { err: describe(error) };
      if (!(error instanceof SignalboxError)) this.log.error(`${pattern} failed: ${String(error)}`);
    }
    try {
      sendAnswer(this.nats.connection, msg, answer);
    } catch (error) {
      this.log.error(`answering ${pattern} failed: ${String(error)}`);
    }
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof SignalboxError) return { code: error.code, message: error.message };
  return { code: 'RPC_FAILED', message: error instanceof Error ? error.message : String(error) };
}
