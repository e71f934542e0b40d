import type { KV } from '@nats-io/kv';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  CONFIG_RECONCILED_KEY,
  configKey,
  type FunctionConfig,
  KvBuckets,
  SignalboxError,
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

/** After a failed write, the first reconcile comes this soon; failed reconciles back off to HEAL_MAX_DELAY_MS. */
export const HEAL_FIRST_DELAY_MS = 1_000;
export const HEAL_MAX_DELAY_MS = 60_000;

/**
 * Publishes every committed change of a trigger, function or webhook subscription to the execution plane
 * (KV buckets `triggers`, `functions` and `webhooks`). Postgres is the truth: after every NATS (re)connect, and so at every
 * start, the buckets are reconciled from it, which heals a crash between commit and publish. A write that fails
 * while the connection stays up (a JetStream leader election on a cluster answers "no responders" for seconds)
 * is healed by a reconcile soon after, repeated with backoff until one succeeds.
 */
@Injectable()
export class ConfigPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConfigPublisher.name);
  private reconciling: Promise<boolean> | null = null;
  private again: Promise<boolean> | null = null;
  private healTimer: NodeJS.Timeout | null = null;
  private healDelayMs = HEAL_FIRST_DELAY_MS;

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

  onModuleDestroy(): void {
    if (this.healTimer) clearTimeout(this.healTimer);
    this.healTimer = null;
  }

  /** The largest config value a bucket takes: one NATS message, less room for the KV headers. */
  get maxValueBytes(): number {
    return this.nats.maxBodyBytes;
  }

  /**
   * Refuses (413), before anything is committed, a configuration that could never be written to its
   * bucket: stored but unpublishable, it would be a trigger that never runs.
   */
  assertPublishable(what: 'trigger' | 'function' | 'webhook subscription', config: unknown, field: string): void {
    const bytes = Buffer.byteLength(JSON.stringify(config), 'utf8');
    if (bytes <= this.maxValueBytes) return;
    const message = `the ${what}'s configuration is ${bytes} bytes once stored (secrets sealed); the execution plane takes at most ${this.maxValueBytes}`;
    throw new SignalboxError('PAYLOAD_TOO_LARGE', message, [{ path: [field], message }]);
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

  /**
   * Makes the buckets equal to Postgres. Safe to run at any time and on every replica. Resolves with success.
   * Asked while one runs (a heal after a failed publish), it runs once more after it: the running one read
   * Postgres before that publish failed.
   */
  reconcile(): Promise<boolean> {
    if (this.reconciling) {
      this.again ??= this.reconciling.then(() => {
        this.again = null;
        return this.reconcile();
      });
      return this.again;
    }
    this.reconciling = this.reconcileOnce().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<boolean> {
    try {
      await this.database.whenReady();
      // Read before Postgres: a key deleted or created after this revision was so by a request that committed
      // while (or after) Postgres was read, so the bucket knows better than the read there (see syncKey).
      const readAt = await Promise.all([
        this.revision('functions'),
        this.revision('triggers'),
        this.revision('webhooks'),
      ]);
      const [functions, triggers, webhooks] = await Promise.all([
        this.functions.all(),
        this.triggers.all(),
        this.webhooks.all(),
      ]);
      const published = await Promise.all([
        this.sync(
          'functions',
          readAt[0],
          new Map(functions.map((f) => [configKey(f.workspaceSlug, f.id), toFunctionConfig(f)])),
        ),
        this.sync(
          'triggers',
          readAt[1],
          new Map(triggers.map((t) => [configKey(t.workspaceSlug, t.id), toTriggerConfig(t)])),
        ),
        this.sync(
          'webhooks',
          readAt[2],
          new Map(webhooks.map((w) => [configKey(w.workspaceSlug, w.id), toWebhookConfig(w)])),
        ),
      ]);
      this.logger.log(
        `execution-plane config reconciled: ${functions.length} functions, ${triggers.length} triggers, ${webhooks.length} webhooks (${published[0] + published[1] + published[2]} written or removed)`,
      );
      return true;
    } catch (error) {
      this.logger.warn(`reconciling execution-plane config failed; trying again: ${String(error)}`);
      this.scheduleHeal();
      return false;
    }
  }

  /** One reconcile after `healDelayMs`; a failed one schedules the next with twice the delay. */
  private scheduleHeal(): void {
    if (this.healTimer) return;
    const delayMs = this.healDelayMs;
    this.healDelayMs = Math.min(HEAL_MAX_DELAY_MS, delayMs * 2);
    this.healTimer = setTimeout(() => {
      this.healTimer = null;
      void this.reconcile().then((ok) => {
        if (ok) this.healDelayMs = HEAL_FIRST_DELAY_MS;
      });
    }, delayMs);
    this.healTimer.unref();
  }

  /**
   * Makes one bucket equal to `wanted` (Postgres as read once the bucket stood at revision `readAt`), key by
   * key (syncKey). Every write is a compare-and-set on the key's revision, so a request or another replica's
   * reconcile that writes in between wins, and is looked at again. A value too large for the bucket (stored by
   * an earlier release, or under a larger `max_payload`) is skipped and reported, and its stale copy removed, so
   * one key cannot hold back every other tenant's; the marker is written only when every other key made it.
   */
  private async sync(
    bucket: Bucket,
    readAt: number,
    wanted: Map<string, { version: number; updatedAt: string }>,
  ): Promise<number> {
    const kv = await this.bucket(bucket);
    const keys = new Set(wanted.keys());
    for await (const key of await kv.keys()) if (key !== CONFIG_RECONCILED_KEY) keys.add(key);
    let changes = 0;
    for (const key of keys) {
      for (let attempt = 1; ; attempt++) {
        try {
          if (await this.syncKey(bucket, kv, key, readAt, wanted.get(key))) changes++;
          break;
        } catch (error) {
          // Lost a compare-and-set: someone wrote the key since it was read here. Look again (a few times).
          if (attempt >= 3) throw error;
        }
      }
    }
    // Last: the bucket now holds everything, and the execution plane may act on what it does not hold.
    await kv.put(CONFIG_RECONCILED_KEY, JSON.stringify({ reconciledAt: new Date().toISOString() }));
    return changes;
  }

  /**
   * Makes one key hold `wanted` (undefined: no key). Resolves with whether it wrote. The rules, which hold
   * whoever else writes at the same time (requests, other replicas' reconciles):
   * - a value is replaced only by a newer one (a higher `version`, or the same with a later `updatedAt`): Postgres
   *   versions only grow, so an older read never overwrites a newer write;
   * - a key deleted since `readAt` stays deleted (its row was deleted after the read), and one created since
   *   `readAt` stays (its row was created after the read); before `readAt`, the read is the truth: a deleted
   *   key whose row exists is written again (a publish lost between commit and publish), and a key without
   *   a row is deleted.
   */
  private async syncKey(
    bucket: Bucket,
    kv: KV,
    key: string,
    readAt: number,
    wanted: { version: number; updatedAt: string } | undefined,
  ): Promise<boolean> {
    const entry = await kv.get(key);
    const current = entry?.operation === 'PUT' ? entry.json<{ version: number; updatedAt: string }>() : null;
    const json = wanted ? JSON.stringify(wanted) : null;
    const bytes = json ? Buffer.byteLength(json, 'utf8') : 0;
    if (bytes > this.maxValueBytes) {
      this.logger.error(
        `${bucket}/${key} is ${bytes} bytes, over the ${this.maxValueBytes} its bucket takes: not published (its runs fail until it is made smaller or deleted)`,
      );
    }
    if (!wanted || !json || bytes > this.maxValueBytes) {
      if (!entry || !current || (entry.revision > readAt && wanted === undefined)) return false;
      await kv.delete(key, { previousSeq: entry.revision });
      return true;
    }
    if (current) {
      const newer =
        wanted.version > current.version ||
        (wanted.version === current.version && wanted.updatedAt > current.updatedAt);
      if (!newer) return false;
    } else if (entry && entry.revision > readAt) {
      return false;
    }
    await kv.put(key, json, { previousSeq: entry?.revision ?? 0 });
    return true;
  }

  /** The bucket's last revision: every key written later has a higher one. */
  private async revision(bucket: Bucket): Promise<number> {
    return (await (await this.bucket(bucket)).status()).streamInfo.state.last_seq;
  }

  private async put(bucket: Bucket, key: string, value: unknown): Promise<void> {
    try {
      await (await this.bucket(bucket)).put(key, JSON.stringify(value));
    } catch (error) {
      // Committed in Postgres already; the reconcile publishes it.
      this.logger.warn(`publishing ${bucket}/${key} failed, will be healed by reconcile: ${String(error)}`);
      this.scheduleHeal();
    }
  }

  private async remove(bucket: Bucket, key: string): Promise<void> {
    try {
      await (await this.bucket(bucket)).delete(key);
    } catch (error) {
      this.logger.warn(`removing ${bucket}/${key} failed, will be healed by reconcile: ${String(error)}`);
      this.scheduleHeal();
    }
  }

  private bucket(name: Bucket): Promise<KV> {
    return this.nats.bucket(KvBuckets[name].bucket);
  }
}
