import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, KvBuckets, type WebhookConfig, type WebhookEvent } from '@signalbox/contracts';
import { compileStoredFilter, type RecordPredicate } from '@signalbox/filters';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';
import { HealthRegistry } from '@signalbox/observability';

interface Subscription {
  readonly config: WebhookConfig;
  readonly structures: ReadonlySet<string> | null;
  readonly query: RecordPredicate;
  readonly createdAt: number;
}

/**
 * Outbound webhook subscriptions by workspace, in memory, fed by a watch of the `webhooks` KV bucket that
 * data-service publishes: matching an event costs no database query.
 */
@Injectable()
export class SubscriptionIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SubscriptionIndex.name);
  private readonly byWorkspace = new Map<string, Map<string, Subscription>>();
  private readonly mirror: KvMirror<WebhookConfig>;

  constructor(
    nats: NatsClient,
    private readonly health: HealthRegistry,
  ) {
    this.mirror = new KvMirror<WebhookConfig>(nats, KvBuckets.webhooks.bucket, messagingLogger(this.logger), {
      loaded: (entries) => {
        this.byWorkspace.clear();
        for (const config of entries.values()) this.add(config);
      },
      changed: (_key, value, previous) => {
        if (previous) this.byWorkspace.get(previous.workspaceSlug)?.delete(previous.id);
        if (value) this.add(value);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.health.register('subscription-index', this.mirror.readinessCheck('subscription index'));
    this.mirror.start();
  }

  onApplicationShutdown(): void {
    this.mirror.stop();
  }

  whenLoaded(): Promise<void> {
    return this.mirror.loaded;
  }

  get(workspace: string, id: string): WebhookConfig | undefined {
    return this.mirror.get(configKey(workspace, id));
  }

  /**
   * The enabled subscriptions this event goes to: subscribed to its type, created before it happened, and
   * for record events, of a matching structure and query (the filters apply to record events only).
   */
  matching(event: WebhookEvent): WebhookConfig[] {
    const subscriptions = this.byWorkspace.get(event.workspace);
    if (!subscriptions) return [];
    const at = Date.parse(event.timestamp);
    const isRecordEvent = event.event.startsWith('record.');
    const structure = typeof event.data['structure'] === 'string' ? event.data['structure'] : undefined;
    const out: WebhookConfig[] = [];
    for (const { config, structures, query, createdAt } of subscriptions.values()) {
      if (!config.enabled || !config.events.includes(event.event) || at < createdAt) continue;
      if (isRecordEvent) {
        if (structures && (!structure || !structures.has(structure))) continue;
        if (!query(event.data['record'])) continue;
      }
      out.push(config);
    }
    return out;
  }

  private add(config: WebhookConfig): void {
    const query = compileStoredFilter(config.filters.query, (reason) =>
      this.logger.error(`webhook ${config.id}: filter refused, nothing will match: ${reason}`),
    );
    const structure = config.filters.structure;
    const subscriptions = this.byWorkspace.get(config.workspaceSlug) ?? new Map<string, Subscription>();
    subscriptions.set(config.id, {
      config,
      structures: structure === undefined ? null : new Set(Array.isArray(structure) ? structure : [structure]),
      query,
      createdAt: Date.parse(config.createdAt),
    });
    this.byWorkspace.set(config.workspaceSlug, subscriptions);
  }
}
