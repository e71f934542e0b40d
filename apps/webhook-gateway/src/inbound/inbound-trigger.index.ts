import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';
import { HealthRegistry } from '@signalbox/observability';

const pathKey = (workspace: string, path: string) => `${workspace}\u0000${path}`;

/** An endpoint trigger without `method` answers every method. */
const ANY_METHOD = 'ANY';

/** The endpoint trigger for a request, or the methods its path does answer (405). */
export type EndpointLookup = { readonly trigger: TriggerConfig } | { readonly allowed: readonly string[] } | undefined;

/**
 * Webhook triggers by (workspace, path) and by id, and endpoint triggers by (workspace, path, method), in
 * memory, fed by a watch of the `triggers` KV bucket: an inbound request costs no database query to find its
 * trigger. Disabled triggers stay in the index so that their path answers 409 rather than 404.
 */
@Injectable()
export class InboundTriggerIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundTriggerIndex.name);
  private readonly byPath = new Map<string, TriggerConfig>();
  private readonly endpoints = new Map<string, Map<string, TriggerConfig>>();
  private readonly mirror: KvMirror<TriggerConfig>;

  constructor(
    nats: NatsClient,
    private readonly health: HealthRegistry,
  ) {
    this.mirror = new KvMirror<TriggerConfig>(nats, KvBuckets.triggers.bucket, messagingLogger(this.logger), {
      loaded: (entries) => {
        this.byPath.clear();
        this.endpoints.clear();
        for (const config of entries.values()) this.add(config);
      },
      changed: (_key, value, previous) => {
        if (previous) this.remove(previous);
        if (value) this.add(value);
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

  /** The endpoint trigger of this workspace for this path and method (enabled or not). */
  endpointOf(workspace: string, path: string, method: string): EndpointLookup {
    const methods = this.endpoints.get(pathKey(workspace, path));
    if (!methods) return undefined;
    const trigger = methods.get(method.toUpperCase()) ?? methods.get(ANY_METHOD);
    return trigger ? { trigger } : { allowed: [...methods.keys()].sort() };
  }

  private add(config: TriggerConfig): void {
    const path = config.triggerMetadata['path'];
    if (typeof path !== 'string') return;
    const key = pathKey(config.workspaceSlug, path);
    if (config.executionType === 'webhook') this.byPath.set(key, config);
    if (config.executionType === 'endpoint') {
      const methods = this.endpoints.get(key) ?? new Map<string, TriggerConfig>();
      methods.set(methodOf(config), config);
      this.endpoints.set(key, methods);
    }
  }

  private remove(config: TriggerConfig): void {
    const path = config.triggerMetadata['path'];
    if (typeof path !== 'string') return;
    const key = pathKey(config.workspaceSlug, path);
    if (this.byPath.get(key)?.id === config.id) this.byPath.delete(key);
    const methods = this.endpoints.get(key);
    if (methods?.get(methodOf(config))?.id === config.id) {
      methods.delete(methodOf(config));
      if (methods.size === 0) this.endpoints.delete(key);
    }
  }
}

function methodOf(config: TriggerConfig): string {
  const method = config.triggerMetadata['method'];
  return typeof method === 'string' ? method.toUpperCase() : ANY_METHOD;
}
