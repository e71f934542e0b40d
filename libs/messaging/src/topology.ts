import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  Consumers,
  type ConsumerSpec,
  KvBuckets,
  type ServiceName,
  Streams,
  type StreamSpec,
} from '@signalbox/contracts';

export interface TopologySettings {
  /** Replicas of every stream and bucket: 1 on one server, 3 on a cluster. */
  readonly replicas: number;
  /** JetStream de-duplication window for `Nats-Msg-Id`. */
  readonly duplicateWindowMs: number;
  /** How long record events are kept (they can be replayed within this window). */
  readonly recordEventsMaxAgeMs: number;
  /** How long a pulled message may go unacked (without `working()`) before it is redelivered. */
  readonly ackWaitMs: number;
}

/**
 * Limits-retention streams, kept for `RECORD_EVENTS_MAX_AGE_MS`: record events (for replay), dead letters (for
 * inspection) and platform events (their consumers, outbound webhooks and the scheduler, read them within
 * seconds; the age bounds the disk they use). Work queues keep a message until it is acked.
 */
const KEPT_FOR_MAX_AGE = new Set<string>([
  Streams.recordEvents.name,
  Streams.deadLetters.name,
  Streams.platformEvents.name,
]);

const nanos = (ms: number): number => ms * 1_000_000;

export function streamConfig(spec: StreamSpec, settings: TopologySettings): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    description: spec.description,
    retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: KEPT_FOR_MAX_AGE.has(spec.name) ? nanos(settings.recordEventsMaxAgeMs) : 0,
  };
}

/** Creates the stream, or brings an existing one to the declared config. Safe when replicas race. */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  const existing = await jsm.streams.info(config.name).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  let current = existing?.config;
  if (!current) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      // Another replica may have created it between our look-up and our add. Depending on timing the
      // server answers "already in use" or "subjects overlap"; either way, if a stream of this name now
      // exists we go on to the update check, and otherwise the error was real.
      const created = await jsm.streams.info(config.name).catch(() => null);
      if (!created) throw error;
      current = created.config;
    }
  }
  const live = current;
  const drifted = (Object.keys(config) as Array<keyof StreamConfig>).some(
    (key) => JSON.stringify(live[key]) !== JSON.stringify(config[key]),
  );
  if (drifted) {
    // retention and storage cannot change on a live stream; the server refuses and says so.
    await jsm.streams.update(config.name, { ...live, ...config });
  }
}

/**
 * Messages a consumer may have unacknowledged. A retry waiting out its backoff (a delayed `nak`: runs, outbound
 * deliveries) stays pending for its whole wait, so the server's default of 1,000 would let one failing
 * endpoint or trigger with long backoffs stop delivery for every workspace.
 */
export const MAX_ACK_PENDING = 1_000_000;

export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec, ackWaitMs: number): Promise<void> {
  const existing = await jsm.consumers.info(spec.stream, spec.durable).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (existing) {
    if (existing.config.ack_wait !== nanos(ackWaitMs) || existing.config.max_ack_pending !== MAX_ACK_PENDING) {
      await jsm.consumers.update(spec.stream, spec.durable, {
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: MAX_ACK_PENDING,
      });
    }
    return;
  }
  await jsm.consumers
    .add(spec.stream, {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: MAX_ACK_PENDING,
      ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
    })
    .catch(async (error: unknown) => {
      // Another replica of the owning service created it at the same moment: fine if it exists now.
      const exists = await jsm.consumers.info(spec.stream, spec.durable).then(
        () => true,
        () => false,
      );
      if (!exists) throw error;
    });
}

/**
 * Declares every stream and bucket of the contracts library and the durable consumers that this
 * service owns. Idempotent: every replica runs it at start and after every reconnect.
 */
export async function declareTopology(
  nc: NatsConnection,
  jsm: JetStreamManager,
  service: ServiceName,
  settings: TopologySettings,
): Promise<void> {
  for (const spec of Object.values(Streams)) {
    await ensureStream(jsm, streamConfig(spec, settings));
  }
  for (const spec of Object.values(Consumers).filter((c) => c.owner === service)) {
    await ensureConsumer(jsm, spec, settings.ackWaitMs);
  }
  const kvm = new Kvm(nc);
  for (const spec of Object.values(KvBuckets)) {
    await kvm
      .create(spec.bucket, {
        history: spec.history,
        replicas: settings.replicas,
        storage: StorageType.File,
        ...('ttlMs' in spec ? { ttl: spec.ttlMs } : {}),
      })
      .catch(async (error: unknown) => {
        // Another replica created it at the same moment (the server may answer "subjects overlap"): fine if
        // the bucket's stream exists now, as for streams above.
        const exists = await jsm.streams.info(`KV_${spec.bucket}`).then(
          () => true,
          () => false,
        );
        if (!exists) throw error;
      });
    // A bucket made on one server keeps one replica when the cluster grows, and losing its server would stop
    // every service. Bring its stream to the declared replicas, as for the streams above.
    const stream = await jsm.streams.info(`KV_${spec.bucket}`);
    if (stream.config.num_replicas !== settings.replicas) {
      await jsm.streams.update(stream.config.name, { ...stream.config, num_replicas: settings.replicas });
    }
  }
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String(error));
}
