import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { CONFIG_RECONCILED_KEY, KvBuckets } from '@signalbox/contracts';

/**
 * Stands in for data-service's reconcile, for tests and benchmarks that run the execution plane without it:
 * the config buckets exist and carry CONFIG_RECONCILED_KEY, so the services load them and act on them.
 */
export async function markConfigBucketsFilled(natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    for (const { bucket, history } of [KvBuckets.triggers, KvBuckets.functions, KvBuckets.webhooks]) {
      const kv = await new Kvm(nc).create(bucket, { history });
      await kv.put(CONFIG_RECONCILED_KEY, JSON.stringify({ reconciledAt: new Date().toISOString() }));
    }
  } finally {
    await nc.close();
  }
}
