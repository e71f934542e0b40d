import { type ConsumerMessages, jetstream, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import {
  type ConsumerSpec,
  DeadLetterHeaders,
  type Disposition,
  dispositionOfError,
  SignalboxError,
  Subjects,
} from '@signalbox/contracts';
import { inSpan, SpanKind, tracer, tracingEnabled } from '@signalbox/observability';

import { type MessagingLogger, type NatsClient, traceContextOf } from './nats.client';

export interface PullConsumerOptions {
  /** The durable consumer (declared by its owning service's topology). */
  readonly consumer: Pick<ConsumerSpec, 'stream' | 'durable' | 'retryAfterErrorMs'>;
  /** Messages handled at once; the consumer pulls twice as many ahead. */
  readonly concurrency: number;
  /**
   * Handles one message and says what becomes of it. A throw is settled by its error's code
   * (`dispositionOfError`): a message that is wrong is terminated, anything else retried.
   */
  readonly handle: (message: JsMsg) => Promise<Disposition>;
  /** Awaited before pulling, e.g. until an in-memory index is loaded. */
  readonly before?: () => Promise<void>;
  readonly logger: MessagingLogger;
}

/**
 * How long one pull request lives. The server sends idle heartbeats every half of it, and two missed
 * heartbeats make the client pull again: with the client's default (30 s) a pull parked on a NATS node that
 * died, or on a consumer leader that moved, stalled the consumer for 30 s (measured by `npm run drill`).
 */
export const PULL_EXPIRES_MS = 5_000;

/**
 * The loop every durable pull consumer of the platform runs: start pulling once NATS is ready (again after
 * every reconnect), keep at most `concurrency` messages in hand, and on `stop()` pull no more and wait for
 * the messages in hand. What was not acked is redelivered to another replica after the ack wait.
 *
 * A message delivered more than `NATS_MAX_DELIVERIES` times (it failed, or its handler's process died, that
 * often) is not handed to the handler again: it goes to DEAD_LETTERS as it was, with its headers and the
 * reason (`Subjects.deadLetterMessage`), and is acked, so no message can cycle forever. `npm run
 * dead-letters` lists them and puts one back.
 */
export class PullConsumer {
  private messages: ConsumerMessages | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private consuming = false;
  private stopping = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly options: PullConsumerOptions,
  ) {}

  start(): void {
    this.nats.onReady(() => void this.consume());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async consume(): Promise<void> {
    if (this.consuming || this.stopping) return;
    this.consuming = true;
    const { consumer, concurrency, before, logger } = this.options;
    try {
      await before?.();
      const source = await jetstream(this.nats.connection).consumers.get(consumer.stream, consumer.durable);
      this.messages = await source.consume({ max_messages: concurrency * 2, expires: PULL_EXPIRES_MS });
      for await (const message of this.messages) {
        while (this.inFlight.size >= concurrency) await Promise.race(this.inFlight);
        const work = (
          message.info.deliveryCount > this.nats.maxDeliveries ? this.deadLetter(message) : this.handleOne(message)
        ).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
    } catch (error) {
      logger.warn(`consumer ${consumer.durable} stopped: ${String(error)}`);
    } finally {
      this.messages = null;
      this.consuming = false;
    }
  }

  private async handleOne(message: JsMsg): Promise<void> {
    const { consumer, handle, logger } = this.options;
    let disposition: Disposition;
    try {
      disposition = await inConsumerSpan(consumer, message, () => handle(message));
    } catch (error) {
      disposition = dispositionOfError(error, consumer.retryAfterErrorMs);
      if (disposition.kind === 'retry') {
        logger.warn(`${describe(consumer, message)} failed, retrying in ${disposition.delayMs} ms: ${String(error)}`);
      }
    }
    settle(message, disposition, logger, () => describe(consumer, message));
  }

  private async deadLetter(message: JsMsg): Promise<void> {
    const { consumer, logger } = this.options;
    const reason = `delivered ${message.info.deliveryCount} times without being acknowledged`;
    const h = natsHeaders();
    for (const [key, values] of message.headers ?? []) {
      if (key !== 'Nats-Msg-Id') for (const value of values) h.append(key, value);
    }
    h.set(DeadLetterHeaders.reason, reason);
    h.set(DeadLetterHeaders.stream, consumer.stream);
    h.set(DeadLetterHeaders.consumer, consumer.durable);
    h.set(DeadLetterHeaders.subject, message.subject);
    h.set(DeadLetterHeaders.sequence, String(message.seq));
    h.set(DeadLetterHeaders.deliveries, String(message.info.deliveryCount));
    h.set(DeadLetterHeaders.at, new Date().toISOString());
    try {
      await jetstream(this.nats.connection).publish(Subjects.deadLetterMessage(consumer.stream), message.data, {
        headers: h,
        msgID: `${consumer.stream}.${message.seq}`,
      });
      message.ack();
      logger.error(`dead-lettered ${consumer.stream} seq ${message.seq} (${message.subject}): ${reason}`);
    } catch (error) {
      logger.warn(`dead-lettering ${consumer.stream} seq ${message.seq} failed, retrying: ${String(error)}`);
      message.nak(DEAD_LETTER_RETRY_MS);
    }
  }
}

/**
 * Handles a message inside a consumer span that continues the publisher's trace (its `traceparent` header), after a
 * span for the time the message waited in its stream (stored to received).
 */
function inConsumerSpan<T>(
  consumer: Pick<ConsumerSpec, 'stream' | 'durable'>,
  message: JsMsg,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work();
  const parent = traceContextOf(message.headers);
  const attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': message.subject,
    'messaging.consumer.group.name': consumer.durable,
    'messaging.message.delivery_count': message.info.deliveryCount,
  };
  const storedMs = message.info.timestampNanos / 1_000_000;
  tracer()
    .startSpan(`${consumer.stream} queue wait`, { kind: SpanKind.INTERNAL, attributes, startTime: storedMs }, parent)
    .end();
  return inSpan(`${consumer.durable} process`, { kind: SpanKind.CONSUMER, attributes, parent }, work);
}

/** Publishing to DEAD_LETTERS failed: the message comes back for another try after this long. */
const DEAD_LETTER_RETRY_MS = 5_000;

const describe = (consumer: Pick<ConsumerSpec, 'durable'>, message: Pick<JsMsg, 'seq' | 'subject'>) =>
  `${consumer.durable}: ${message.subject} (seq ${message.seq})`;

/** The parts of a message that settling needs: a `JsMsg`, or a message read ahead of its turn. */
export type Settleable = Pick<JsMsg, 'ack' | 'nak' | 'term'>;

/**
 * Carries out a handler's disposition; a terminated message is logged with its reason, as an error (`what` names
 * the message, built only then: settling is on every message's path).
 */
export function settle(
  message: Settleable,
  disposition: Disposition,
  logger: MessagingLogger,
  what: () => string,
): void {
  switch (disposition.kind) {
    case 'ack':
      message.ack();
      return;
    case 'retry':
      if (disposition.delayMs > 0) message.nak(disposition.delayMs);
      else message.nak();
      return;
    case 'term':
      logger.error(`${what()} terminated: ${disposition.reason}`);
      message.term(disposition.reason);
      return;
  }
}

/** A message's body as JSON, or a VALIDATION_ERROR, which terminates the message, when it is not JSON. */
export function decodeJson<T>(message: { json<U>(): U }, what: string): T {
  try {
    return message.json<T>();
  } catch {
    throw new SignalboxError('VALIDATION_ERROR', `malformed ${what}: not JSON`);
  }
}
