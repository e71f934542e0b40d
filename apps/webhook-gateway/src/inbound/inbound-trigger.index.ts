import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configKey, configOfType, KvBuckets, type TriggerConfig, type TriggerConfigOf } from '@signalbox/contracts';
import { KvMirror, messagingLogger, NatsClient } from '@signalbox/messaging';
import { HealthRegistry } from '@signalbox/observability';

const pathKey = (workspace: string, path: string) => `${workspace}\u0000${path}`;

/** An endpoint trigger without `method` answers every method. */
const ANY_METHOD = 'ANY';

export type WebhookTrigger = TriggerConfigOf<'webhook'>;
export type EndpointTrigger = TriggerConfigOf<'endpoint'>;

/** The endpoint trigger for a request, or the methods its path does answer (405). */
export type EndpointLookup =
  { readonly trigger: EndpointTrigger } | { readonly allowed: readonly string[] } | undefined;

/**
 * Webhook triggers by (workspace, path) and by id, and endpoint triggers by (workspace, path, method), in
 * memory, fed by a watch of the `triggers` KV bucket: an inbound request costs no database query to find its
 * trigger. Disabled triggers stay in the index so that their path answers 409 rather than 404.
 */
@Injectable()
export class InboundTriggerIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundTriggerIndex.name);
  private readonly byPath = new Map<string, WebhookTrigger>();
  private readonly endpoints = new Map<string, Map<string, EndpointTrigger>>();
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
  byPathOf(workspace: string, path: string): WebhookTrigger | undefined {
    return this.byPath.get(pathKey(workspace, path));
  }

  /** The webhook trigger of this workspace with this id (enabled or not). */
  byIdOf(workspace: string, id: string): WebhookTrigger | undefined {
    return configOfType(this.mirror.get(configKey(workspace, id)), 'webhook') ?? undefined;
  }

  /** The endpoint trigger of this workspace for this path and method (enabled or not). */
  endpointOf(workspace: string, path: string, method: string): EndpointLookup {
    const methods = this.endpoints.get(pathKey(workspace, path));
    if (!methods) return undefined;
    const trigger = methods.get(method.toUpperCase()) ?? methods.get(ANY_METHOD);
    return trigger ? { trigger } : { allowed: [...methods.keys()].sort() };
  }

  private add(config: TriggerConfig): void {
    if (config.executionType === 'webhook') {
      this.byPath.set(pathKey(config.workspaceSlug, config.triggerMetadata.path), config);
    } else if (config.executionType === 'endpoint') {
      const key = pathKey(config.workspaceSlug, config.triggerMetadata.path);
      const methods = this.endpoints.get(key) ?? new Map<string, EndpointTrigger>();
      methods.set(methodOf(config), config);
      this.endpoints.set(key, methods);
    }
  }

  private remove(config: TriggerConfig): void {
    if (config.executionType === 'webhook') {
      const key = pathKey(config.workspaceSlug, config.triggerMetadata.path);
      if (this.byPath.get(key)?.id === config.id) this.byPath.delete(key);
    } else if (config.executionType === 'endpoint') {
      const key = pathKey(config.workspaceSlug, config.triggerMetadata.path);
      const methods = this.endpoints.get(key);
      if (methods?.get(methodOf(config))?.id === config.id) {
        methods.delete(methodOf(config));
        if (methods.size === 0) this.endpoints.delete(key);
      }
    }
  }
}

const methodOf = (config: EndpointTrigger): string => config.triggerMetadata.method ?? ANY_METHOD;
