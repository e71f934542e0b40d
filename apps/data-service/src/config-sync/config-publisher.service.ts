import { type KV, Kvm } from '@nats-io/kv';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  configKey,
  type FunctionConfig,
  KvBuckets,
  type TriggerConfig,
  type WebhookConfig,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { Database } from '@signalbox/persistence';

import { toFunctionConfig } from '../compute-functions/compute-function.mapper';
import { ComputeFunctionRepository } from '../compute-functions/compute-function.repository';
import { toTriggerConfig } from '../function-triggers/function-trigger.mapper';
import { FunctionTriggerRepository } from '../function-triggers/function-trigger.repository';
import { toWebhookConfig } from '../webhooks/webhook.mapper';
import { WebhookRepository } from '../webhooks/webhook.repository';

type Bucket = keyof typeof KvBuckets;

/**
 * Publishes every committed change of a trigger, function or webhook subscription to the execution plane
 * (KV buckets `triggers`, `functions` and `webhooks`). Postgres is the truth: after every NATS (re)connect, and so at every
 * start, the buckets are reconciled from it, which heals a crash between commit and publish.
 */
@Injectable()
export class ConfigPublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger(ConfigPublisher.name);
  private readonly buckets = new Map<Bucket, Promise<KV>>();
  private reconciling: Promise<void> | null = null;

  constructor(
    private readonly nats: NatsClient,
    private readonly database: Database,
    private readonly functions: ComputeFunctionRepository,
    private readonly triggers: FunctionTriggerRepository,
    private readonly webhooks: WebhookRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.nats.onReady(() => void this.reconcile());
  }

  async publishTrigger(config: TriggerConfig): Promise<void> {
    await this.put('triggers', configKey(config.workspaceSlug, config.id), config);
  }

  async publishFunction(config: FunctionConfig): Promise<void> {
    await this.put('functions', configKey(config.workspaceSlug, config.id), config);
  }

  async publishWebhook(config: WebhookConfig): Promise<void> {
    await this.put('webhooks', configKey(config.workspaceSlug, config.id), config);
  }

  async removeWebhook(workspace: string, id: string): Promise<void> {
    await this.remove('webhooks', configKey(workspace, id));
  }

  async removeTrigger(workspace: string, id: string): Promise<void> {
    await this.remove('triggers', configKey(workspace, id));
  }

  async removeFunction(workspace: string, id: string): Promise<void> {
    await this.remove('functions', configKey(workspace, id));
  }

  /** Makes the buckets equal to Postgres. Safe to run at any time and on every replica. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    try {
      await this.database.whenReady();
      const [functions, triggers, webhooks] = await Promise.all([
        this.functions.all(),
        this.triggers.all(),
        this.webhooks.all(),
      ]);
      const published = await Promise.all([
        this.sync('functions', new Map(functions.map((f) => [configKey(f.workspaceSlug, f.id), toFunctionConfig(f)]))),
        this.sync('triggers', new Map(triggers.map((t) => [configKey(t.workspaceSlug, t.id), toTriggerConfig(t)]))),
        this.sync('webhooks', new Map(webhooks.map((w) => [configKey(w.workspaceSlug, w.id), toWebhookConfig(w)]))),
      ]);
      this.logger.log(
        `execution-plane config reconciled: ${functions.length} functions, ${triggers.length} triggers, ${webhooks.length} webhooks (${published[0] + published[1] + published[2]} written or removed)`,
      );
    } catch (error) {
      this.logger.warn(`reconciling execution-plane config failed; retried on next reconnect: ${String(error)}`);
    }
  }

  private async sync(bucket: Bucket, wanted: Map<string, { version: number; updatedAt: string }>): Promise<number> {
    const kv = await this.bucket(bucket);
    let changes = 0;
    const present = new Set<string>();
    for await (const key of await kv.keys()) present.add(key);
    for (const key of present) {
      if (!wanted.has(key)) {
        await kv.delete(key);
        changes++;
      }
    }
    for (const [key, config] of wanted) {
      const entry = present.has(key) ? await kv.get(key) : null;
      const current = entry?.operation === 'PUT' ? entry.json<{ version: number; updatedAt: string }>() : null;
      if (current?.version !== config.version || current.updatedAt !== config.updatedAt) {
        await kv.put(key, JSON.stringify(config));
        changes++;
      }
    }
    return changes;
  }

  private async put(bucket: Bucket, key: string, value: unknown): Promise<void> {
    try {
      await (await this.bucket(bucket)).put(key, JSON.stringify(value));
    } catch (error) {
      // Committed in Postgres already; the next reconcile publishes it.
      this.logger.warn(`publishing ${bucket}/${key} failed, will be healed by reconcile: ${String(error)}`);
    }
  }

  private async remove(bucket: Bucket, key: string): Promise<void> {
    try {
      await (await this.bucket(bucket)).delete(key);
    } catch (error) {
      this.logger.warn(`removing ${bucket}/${key} failed, will be healed by reconcile: ${String(error)}`);
    }
  }

  private bucket(name: Bucket): Promise<KV> {
    let kv = this.buckets.get(name);
    if (!kv) {
      kv = new Kvm(this.nats.connection).open(KvBuckets[name].bucket);
      kv.catch(() => this.buckets.delete(name));
      this.buckets.set(name, kv);
    }
    return kv;
  }
}
