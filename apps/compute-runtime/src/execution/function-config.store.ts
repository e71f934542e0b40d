import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, type FunctionConfig, KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';

/**
 * Trigger and function configuration, as data-service publishes it (KV buckets `triggers` and `functions`,
 * kept equal to Postgres). Held in memory by a watch, so a run costs no request for its config; a key the
 * mirror does not hold yet (written a moment ago) is read from the bucket. A change reaches this copy within
 * milliseconds; a run started in that moment runs the previous version, and its record says which.
 */
@Injectable()
export class FunctionConfigStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FunctionConfigStore.name);
  private readonly triggers: KvMirror<TriggerConfig>;
  private readonly functions: KvMirror<FunctionConfig>;

  constructor(private readonly nats: NatsClient) {
    const log = messagingLogger(this.logger);
    this.triggers = new KvMirror(nats, KvBuckets.triggers.bucket, log);
    this.functions = new KvMirror(nats, KvBuckets.functions.bucket, log);
  }

  onApplicationBootstrap(): void {
    this.triggers.start();
    this.functions.start();
  }

  onApplicationShutdown(): void {
    this.triggers.stop();
    this.functions.stop();
  }

  /** Resolves once both buckets are loaded: data-service has filled them at least once. */
  async whenLoaded(): Promise<void> {
    await Promise.all([this.triggers.loaded, this.functions.loaded]);
  }

  async trigger(workspace: string, id: string): Promise<TriggerConfig | null> {
    const key = configKey(workspace, id);
    return this.triggers.get(key) ?? this.get<TriggerConfig>(KvBuckets.triggers.bucket, key);
  }

  async function(workspace: string, id: string): Promise<FunctionConfig | null> {
    const key = configKey(workspace, id);
    return this.functions.get(key) ?? this.get<FunctionConfig>(KvBuckets.functions.bucket, key);
  }

  private async get<T>(bucket: string, key: string): Promise<T | null> {
    const entry = await (await this.nats.bucket(bucket)).get(key);
    return entry?.operation === 'PUT' ? entry.json<T>() : null;
  }
}
