import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { KvMirror, type KvMirrorListener, messagingLogger, NatsClient } from '@signalbox/messaging';

/**
 * The service's one copy of the `triggers` bucket that data-service publishes: schedules and polls both follow it
 * (`listen`, from their constructors, before it starts), so it is watched and held once.
 */
@Injectable()
export class TriggerConfigs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly mirror: KvMirror<TriggerConfig>;

  constructor(nats: NatsClient) {
    this.mirror = new KvMirror<TriggerConfig>(
      nats,
      KvBuckets.triggers.bucket,
      messagingLogger(new Logger(TriggerConfigs.name)),
    );
  }

  listen(listener: KvMirrorListener<TriggerConfig>): void {
    this.mirror.listen(listener);
  }

  get(key: string): TriggerConfig | undefined {
    return this.mirror.get(key);
  }

  get isLoaded(): boolean {
    return this.mirror.isLoaded;
  }

  readinessCheck(what: string): () => Promise<void> {
    return this.mirror.readinessCheck(what);
  }

  onApplicationBootstrap(): void {
    this.mirror.start();
  }

  onApplicationShutdown(): void {
    this.mirror.stop();
  }
}
