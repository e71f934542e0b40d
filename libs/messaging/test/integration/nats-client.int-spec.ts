import { Socket } from 'node:net';

import { jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Consumers, KvBuckets, Streams, Subjects } from '@signalbox/contracts';
import { NatsServerProcess, waitFor } from '@signalbox/testing';

import { declareTopology, NatsClient, type NatsSettings } from '../../src';

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const settings = (url: string): NatsSettings => ({
  servers: [url],
  service: 'event-router',
  instanceId: 'int-spec',
  replicas: 1,
  duplicateWindowMs: 60_000,
  recordEventsMaxAgeMs: 3_600_000,
  ackWaitMs: 30_000,
});

describe(NatsClient.name, () => {
  let server: NatsServerProcess;
  const clients: NatsClient[] = [];
  const client = (url: string) => {
    const created = new NatsClient(settings(url), quietLogger);
    clients.push(created);
    return created;
  };

  beforeEach(async () => {
    server = await NatsServerProcess.create();
  });

  afterEach(async () => {
    await server.start().catch(() => undefined);
    await Promise.all(clients.splice(0).map((created) => created.drain()));
    await server.dispose();
  });

  it('waits for NATS, declares the topology, and recovers after a server restart', async () => {
    const sut = client(server.url);
    sut.start();
    await expect(sut.check()).rejects.toThrow('not connected yet');

    await server.start();
    await waitFor(() => sut.check().then(() => true), 15_000, 'NATS ready');

    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const streams = (await jsm.streams.names().next()).sort();
    const buckets = Object.values(KvBuckets).map(({ bucket }) => `KV_${bucket}`);
    expect(streams).toEqual([...Object.values(Streams).map((stream) => stream.name), ...buckets].sort());
    const records = await jsm.streams.info(Streams.recordEvents.name);
    expect(records.config.subjects).toEqual(['records.>']);
    expect(records.config.duplicate_window).toBe(60_000 * 1_000_000);
    // Platform events are bounded by the same age; work queues are not.
    expect((await jsm.streams.info(Streams.platformEvents.name)).config.max_age).toBe(3_600_000 * 1_000_000);
    expect((await jsm.streams.info(Streams.executions.name)).config.max_age).toBe(0);
    const consumer = await jsm.consumers.info(Consumers.recordRouter.stream, Consumers.recordRouter.durable);
    expect(consumer.config.durable_name).toBe('event-router');
    await expect(new Kvm(nc).open('triggers').then((kv) => kv.status())).resolves.toMatchObject({ bucket: 'triggers' });
    await nc.close();

    await server.stop();
    await waitFor(
      () =>
        sut.check().then(
          () => undefined,
          () => true,
        ),
      10_000,
      'not ready while NATS is down',
    );
    await server.start();
    await waitFor(() => sut.check().then(() => true), 20_000, 'ready again after restart');
  });

  it('de-duplicates publishes that carry the same Nats-Msg-Id', async () => {
    await server.start();
    const sut = client(server.url);
    sut.start();
    await waitFor(() => sut.check().then(() => true), 15_000, 'NATS ready');

    const subject = Subjects.recordEvent('acme', 'orders', 'record_created');
    const first = await sut.publish(subject, { eventId: 'evt-1' }, { msgID: 'evt-1' });
    const again = await sut.publish(subject, { eventId: 'evt-1' }, { msgID: 'evt-1' });

    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
  });

  it('sends the publishes that callbacks of one turn start in one socket write, in the order they were made', async () => {
    await server.start();
    const sut = client(server.url);
    sut.start();
    await waitFor(() => sut.check().then(() => true), 15_000, 'NATS ready');
    const subject = Subjects.recordEvent('acme', 'orders', 'record_created');
    await sut.publish(subject, { n: -1 });

    // Twenty callbacks of one turn of the event loop, as twenty HTTP requests arriving together would be.
    const write = jest.spyOn(Socket.prototype, 'write');
    const sent = Promise.all(
      Array.from(
        { length: 20 },
        (_, n) =>
          new Promise<PubAck>((resolve, reject) =>
            setImmediate(() => void sut.publish(subject, { n }).then(resolve, reject)),
          ),
      ),
    );
    let writes = 0;
    const acks = await sent.finally(() => {
      writes = write.mock.calls.length;
      write.mockRestore();
    });

    // One write (twenty before); at most one more if the client's own PING falls in the same moment.
    expect(writes).toBeLessThanOrEqual(2);
    expect(acks.map((ack) => ack.seq)).toEqual(Array.from({ length: 20 }, (_, n) => acks[0].seq + n));
  });

  it('opens a KV bucket once and reuses it', async () => {
    await server.start();
    const sut = client(server.url);
    sut.start();
    await waitFor(() => sut.check().then(() => true), 15_000, 'NATS ready');

    const kv = sut.bucket(KvBuckets.replays.bucket);
    expect(sut.bucket(KvBuckets.replays.bucket)).toBe(kv);
    await (await kv).put('acme.r1', JSON.stringify({ n: 1 }));
    const entry = await (await sut.bucket(KvBuckets.replays.bucket)).get('acme.r1');
    expect(entry?.json()).toEqual({ n: 1 });
  });

  it('lets replicas declare the topology concurrently', async () => {
    await server.start();
    const connections = await Promise.all([1, 2, 3, 4, 5].map(() => connect({ servers: server.url })));
    const jsm = await jetstreamManager(connections[0]);
    // Several rounds from nothing: which error the losers of a create race get depends on timing (CI once saw
    // "subjects overlap with an existing stream" rather than "already in use").
    for (let round = 0; round < 3; round += 1) {
      for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
      await Promise.all(
        connections.map(async (nc) =>
          declareTopology(nc, await jetstreamManager(nc), 'compute-runtime', settings(server.url)),
        ),
      );
      expect((await jsm.streams.info(Streams.executions.name)).config.retention).toBe('workqueue');
    }
    await Promise.all(connections.map((nc) => nc.close()));
  });
});
