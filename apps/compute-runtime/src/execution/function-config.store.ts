import { type KV, Kvm } from '@nats-io/kv';
import { Injectable } from '@nestjs/common';
import { configKey, type FunctionConfig, KvBuckets, type TriggerConfig } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

/**
 * Reads trigger and function configuration from the KV buckets that data-service keeps equal to
 * Postgres. No database query of another service's tables.
 */
@Injectable()
export class FunctionConfigStore {
  private readonly buckets = new Map<string, Promise<KV>>();

  constructor(private readonly nats: NatsClient) {}

  async trigger(workspace: string, id: string): Promise<TriggerConfig | null> {
    return this.get<TriggerConfig>(KvBuckets.triggers.bucket, configKey(workspace, id));
  }

  async function(workspace: string, id: string): Promise<FunctionConfig | null> {
    return this.get<FunctionConfig>(KvBuckets.functions.bucket, configKey(workspace, id));
  }

  private async get<T>(bucket: string, key: string): Promise<T | null> {
    let kv = this.buckets.get(bucket);
    if (!kv) {
      kv = new Kvm(this.nats.connection).open(bucket);
      kv.catch(() => this.buckets.delete(bucket));
      this.buckets.set(bucket, kv);
    }
    const entry = await (await kv).get(key);
    return entry?.operation === 'PUT' ? entry.json<T>() : null;
  }
}
