import type { JsMsg } from '@nats-io/jetstream';
import type { Disposition } from '@signalbox/contracts';

import type { MessagingLogger, NatsClient } from './nats.client';
import { PullConsumer, type PullConsumerOptions } from './pull-consumer';

/**
 * A service's worker on one durable pull consumer: it starts pulling once the application has started, after
 * `ready()`, and on shutdown pulls no more and waits for the messages in hand (what was not acked is
 * redelivered to another replica). Nest calls `onApplicationBootstrap` and `beforeApplicationShutdown` on
 * providers by name, so a subclass that is an `@Injectable()` needs nothing else.
 */
export abstract class DurableConsumer {
  private readonly pull: PullConsumer;

  protected constructor(
    nats: NatsClient,
    options: Pick<PullConsumerOptions, 'consumer' | 'concurrency'> & { readonly logger: MessagingLogger },
  ) {
    this.pull = new PullConsumer(nats, {
      ...options,
      before: () => this.ready(),
      handle: (message) => this.handle(message),
    });
  }

  /**
   * Handles one message and says what becomes of it (`Dispositions`): the consumer acks, naks or terms it. A
   * throw is settled by its error's code: a malformed message is terminated, anything else retried after the
   * consumer's `retryAfterErrorMs`.
   */
  protected abstract handle(message: JsMsg): Promise<Disposition>;

  /** Awaited before the first pull, e.g. until an in-memory index is loaded. */
  protected ready(): Promise<void> {
    return Promise.resolve();
  }

  onApplicationBootstrap(): void {
    this.pull.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.pull.stop();
  }
}
