import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';
import { HealthRegistry } from '@signalbox/observability';

const pathKey = (workspace: string, path: string) => `${workspace}\u0000${path}`;

/**
 * Webhook triggers by (workspace, path) and by id, in memory, fed by a watch of the `triggers` KV bucket: an
 * inbound request costs no database query to find its trigger. Disabled triggers stay in the index so that
 * their path answers 409 rather than 404.
 */
@Injectable()
export class WebhookTriggerIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookTriggerIndex.name);
  private readonly byPath = new Map<string, TriggerConfig>();
  private readonly mirror: KvMirror<TriggerConfig>;

  constructor(
    nats: NatsClient,
    private readonly health: HealthRegistry,
  ) {
    this.mirror = new KvMirror<TriggerConfig>(nats, KvBuckets.triggers.bucket, messagingLogger(this.logger), {
      loaded: (entries) => {
        this.byPath.clear();
        for (const config of entries.values()) this.add(config);
      },
      changed: (_key, value, previous) => {
        if (previous) this.remove(previous);
        if (value) this.add(value);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.health.register('trigger-index', () =>
      this.mirror.isLoaded ? Promise.resolve() : Promise.reject(new Error('trigger index not loaded yet')),
    );
    this.mirror.start();
  }

  onApplicationShutdown(): void {
    this.mirror.stop();
  }

  get isLoaded(): boolean {
    return this.mirror.isLoaded;
  }

  /** The webhook trigger of this workspace with this path (enabled or not). */
  byPathOf(workspace: string, path: string): TriggerConfig | undefined {
    return this.byPath.get(pathKey(workspace, path));
  }

  /** The webhook trigger of this workspace with this id (enabled or not). */
  byIdOf(workspace: string, id: string): TriggerConfig | undefined {
    const config = this.mirror.get(configKey(workspace, id));
    return config?.executionType === 'webhook' ? config : undefined;
  }

  private add(config: TriggerConfig): void {
    const path = config.triggerMetadata['path'];
    if (config.executionType === 'webhook' && typeof path === 'string') {
      this.byPath.set(pathKey(config.workspaceSlug, path), config);
    }
  }

  private remove(config: TriggerConfig): void {
    const path = config.triggerMetadata['path'];
    if (typeof path !== 'string') return;
    const key = pathKey(config.workspaceSlug, path);
    if (this.byPath.get(key)?.id === config.id) this.byPath.delete(key);
  }
}
