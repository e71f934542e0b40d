import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { compileStoredFilter, type RecordPredicate } from '@signalbox/filters';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';
import { HealthRegistry } from '@signalbox/observability';

/** An event-driven trigger ready to match: its config and its compiled filter. */
export interface RoutableTrigger {
  readonly config: TriggerConfig;
  readonly matches: RecordPredicate;
}

const routeKey = (workspace: string, recordSlug: string, event: string) =>
  `${workspace}\u0000${recordSlug}\u0000${event}`;

/**
 * (workspace, recordSlug, event) -> enabled event-driven triggers, in memory, fed by a watch of the
 * `triggers` KV bucket that data-service writes after every committed change. No query per event; a
 * create, update, enable, disable or delete reaches the index as soon as NATS delivers the KV update.
 */
@Injectable()
export class TriggerIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TriggerIndex.name);
  private readonly routes = new Map<string, Map<string, RoutableTrigger>>();
  private readonly mirror: KvMirror<TriggerConfig>;

  constructor(
    nats: NatsClient,
    private readonly health: HealthRegistry,
  ) {
    this.mirror = new KvMirror<TriggerConfig>(nats, KvBuckets.triggers.bucket, messagingLogger(this.logger), {
      loaded: (entries) => this.rebuild(entries.values()),
      changed: (key, value, previous) => {
        if (previous) this.remove(previous);
        if (value) this.add(value);
        this.logger.log(
          `trigger ${key} ${value ? (value.enabled ? 'enabled' : 'disabled') : 'removed'} (v${value?.version ?? '-'})`,
        );
      },
    });
  }

  onApplicationBootstrap(): void {
    this.health.register('trigger-index', this.mirror.readinessCheck('trigger index'));
    this.mirror.start();
  }

  onApplicationShutdown(): void {
    this.mirror.stop();
  }

  /** Resolves once the index holds every trigger: no event is routed against a half-loaded index. */
  whenLoaded(): Promise<void> {
    return this.mirror.loaded;
  }

  /** Enabled event-driven triggers for this event, whether or not their filter matches. */
  candidates(workspace: string, recordSlug: string, event: string): Iterable<RoutableTrigger> {
    return this.routes.get(routeKey(workspace, recordSlug, event))?.values() ?? [];
  }

  /** Any trigger by id (enabled or not), for replays. */
  trigger(workspace: string, id: string): TriggerConfig | undefined {
    return this.mirror.get(configKey(workspace, id));
  }

  get size(): number {
    let count = 0;
    for (const triggers of this.routes.values()) count += triggers.size;
    return count;
  }

  private rebuild(configs: Iterable<TriggerConfig>): void {
    this.routes.clear();
    for (const config of configs) this.add(config);
    this.logger.log(`trigger index loaded: ${this.size} enabled event-driven triggers`);
  }

  private add(config: TriggerConfig): void {
    if (config.executionType !== 'event-driven' || !config.enabled) return;
    const { event, recordSlug, filter } = config.triggerMetadata;
    const matches = compileStoredFilter(filter, (reason) =>
      this.logger.error(`trigger ${config.id} has an unusable filter and fires on nothing: ${reason}`),
    );
    const key = routeKey(config.workspaceSlug, recordSlug, event);
    let triggers = this.routes.get(key);
    if (!triggers) this.routes.set(key, (triggers = new Map<string, RoutableTrigger>()));
    triggers.set(config.id, { config, matches });
  }

  private remove(config: TriggerConfig): void {
    if (config.executionType !== 'event-driven') return;
    const { event, recordSlug } = config.triggerMetadata;
    const key = routeKey(config.workspaceSlug, recordSlug, event);
    const triggers = this.routes.get(key);
    triggers?.delete(config.id);
    if (triggers?.size === 0) this.routes.delete(key);
  }
}
