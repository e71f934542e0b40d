import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { CONFIG_RECONCILED_KEY, KvBuckets } from '@signalbox/contracts';
import { NatsServerProcess, sleep, waitFor } from '@signalbox/testing';

import { KvMirror, NatsClient } from '../../src';

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe(KvMirror.name, () => {
  let server: NatsServerProcess;
  let client: NatsClient;
  const mirrors: Array<KvMirror<unknown>> = [];

  beforeEach(async () => {
    server = await NatsServerProcess.create();
    await server.start();
    client = new NatsClient(
      {
        servers: [server.url],
        service: 'event-router',
        instanceId: 'kv-mirror-int-spec',
        replicas: 1,
        duplicateWindowMs: 60_000,
        recordEventsMaxAgeMs: 3_600_000,
        ackWaitMs: 30_000,
      },
      quietLogger,
    );
    client.start();
    await waitFor(() => client.check().then(() => true), 15_000, 'NATS ready');
  });

  afterEach(async () => {
    for (const mirror of mirrors.splice(0)) mirror.stop();
    await client.drain();
    await server.dispose();
  });

  /** A mirror of `triggers` (a config bucket), or of `replays` (not one). */
  const mirror = (bucket: string = KvBuckets.triggers.bucket) => {
    const loads: Array<ReadonlyMap<string, unknown>> = [];
    const created = new KvMirror<unknown>(client, bucket, quietLogger, { loaded: (entries) => loads.push(entries) });
    mirrors.push(created);
    created.start();
    return { mirror: created, loads };
  };

  it('does not load a config bucket that data-service has not filled, and loads it whole once it has', async () => {
    const nc = await connect({ servers: server.url });
    const kv = await new Kvm(nc).open(KvBuckets.triggers.bucket);
    const { mirror: sut, loads } = mirror();

    await sleep(500);
    expect(sut.isLoaded).toBe(false); // empty: new, or lost with NATS's data

    await kv.put('acme.t1', JSON.stringify({ id: 't1' }));
    await kv.put('acme.t2', JSON.stringify({ id: 't2' }));
    await sleep(300);
    expect(sut.isLoaded).toBe(false); // filling, not filled

    await kv.put(CONFIG_RECONCILED_KEY, JSON.stringify({ reconciledAt: new Date().toISOString() }));
    await waitFor(() => Promise.resolve(sut.isLoaded || undefined), 5_000, 'the mirror to load');
    expect(loads).toHaveLength(1);
    expect([...loads[0].keys()].sort()).toEqual(['acme.t1', 'acme.t2']); // the marker is not an entry
    expect(sut.get(CONFIG_RECONCILED_KEY)).toBeUndefined();
    await nc.close();
  });

  it('loads at once when the marker is already there, and an empty bucket that is not a config bucket', async () => {
    const nc = await connect({ servers: server.url });
    const kv = await new Kvm(nc).open(KvBuckets.triggers.bucket);
    const { mirror: plain } = mirror(KvBuckets.replays.bucket);
    await waitFor(() => Promise.resolve(plain.isLoaded || undefined), 5_000, 'the plain mirror to load');

    await kv.put('acme.t1', JSON.stringify({ id: 't1' }));
    await kv.put(CONFIG_RECONCILED_KEY, JSON.stringify({ reconciledAt: new Date().toISOString() }));
    const { mirror: sut } = mirror();
    await waitFor(() => Promise.resolve(sut.isLoaded || undefined), 5_000, 'the config mirror to load');
    expect(sut.get('acme.t1')).toEqual({ id: 't1' });
    expect(sut.size).toBe(1);
    await nc.close();
  });

  it('tells every listener of one copy about the load and each change', async () => {
    const nc = await connect({ servers: server.url });
    const kv = await new Kvm(nc).open(KvBuckets.replays.bucket);
    await kv.put('r1', JSON.stringify({ n: 1 }));
    const shared = new KvMirror<{ n: number }>(client, KvBuckets.replays.bucket, quietLogger);
    mirrors.push(shared);
    const seen: string[][] = [[], []];
    for (const log of seen) {
      shared.listen({
        loaded: (entries) => log.push(`loaded ${[...entries.keys()].join(',')}`),
        changed: (key, value) => log.push(`changed ${key} ${value?.n ?? 'deleted'}`),
      });
    }
    shared.start();
    await waitFor(() => Promise.resolve(shared.isLoaded || undefined), 5_000, 'the mirror to load');
    await kv.put('r2', JSON.stringify({ n: 2 }));
    await kv.delete('r1');
    await waitFor(() => Promise.resolve(seen[1].length === 3 || undefined), 5_000, 'both changes');
    expect(seen[0]).toEqual(['loaded r1', 'changed r2 2', 'changed r1 deleted']);
    expect(seen[1]).toEqual(seen[0]);
    await nc.close();
  });
});
