import { jetstream, type JetStreamManager, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Consumers, Dispositions, KvBuckets, Streams, Subjects } from '@signalbox/contracts';
import { NatsCluster, sleep, waitFor } from '@signalbox/testing';

import { declareTopology, NatsClient, type NatsSettings, PullConsumer } from '../../src';

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const topology = { duplicateWindowMs: 60_000, recordEventsMaxAgeMs: 3_600_000, ackWaitMs: 30_000 };

/** A 3-node JetStream cluster, as operators run it (and as `npm run drill` does, under load). */
describe('NATS on a 3-node cluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const clients: NatsClient[] = [];
  const consumers: PullConsumer[] = [];

  beforeEach(async () => {
    cluster = await NatsCluster.create();
    await cluster.start();
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(clients.splice(0).map((client) => client.drain()));
    await nc.close();
    await cluster.dispose();
  });

  it('brings every stream and KV bucket to 3 replicas when a one-replica topology moves to the cluster', async () => {
    await declareTopology(nc, jsm, 'event-router', { ...topology, replicas: 1 });
    expect((await jsm.streams.info(`KV_${KvBuckets.triggers.bucket}`)).config.num_replicas).toBe(1);

    await declareTopology(nc, jsm, 'event-router', { ...topology, replicas: 3 });

    const names = [
      ...Object.values(Streams).map((stream) => stream.name),
      ...Object.values(KvBuckets).map(({ bucket }) => `KV_${bucket}`),
    ];
    for (const name of names) {
      const info = await waitFor(
        async () => {
          const current = await jsm.streams.info(name);
          return current.cluster?.replicas?.length === 2 ? current : undefined;
        },
        20_000,
        `${name} on three servers`,
      );
      expect({ name, replicas: info.config.num_replicas }).toEqual({ name, replicas: 3 });
    }
  });

  it('keeps a pull consumer going within seconds when the server leading its consumer is killed', async () => {
    await declareTopology(nc, jsm, 'compute-runtime', { ...topology, replicas: 3 });
    const { stream, durable } = Consumers.runtimeExecutions;
    const leader = (await jsm.consumers.info(stream, durable)).cluster?.leader ?? '';
    // The consumer's own connection is to another server: its pull requests wait on the leader, over a route.
    const other = cluster.nodes.find((node) => node.name !== leader);
    if (!other) throw new Error('no follower');
    const settings: NatsSettings = {
      servers: [other.url],
      service: 'compute-runtime',
      instanceId: 'cluster-int-spec',
      replicas: 3,
      ...topology,
    };
    const client = new NatsClient(settings, quietLogger);
    clients.push(client);
    client.start();
    const received: string[] = [];
    const consumer = new PullConsumer(client, {
      consumer: Consumers.runtimeExecutions,
      concurrency: 4,
      logger: quietLogger,
      handle: (message: JsMsg) => {
        received.push(message.string());
        return Promise.resolve(Dispositions.ack());
      },
    });
    consumers.push(consumer);
    consumer.start();

    const js = jetstream(nc, { timeout: 2_000 });
    const publish = async (body: string) => {
      for (;;) {
        try {
          return await js.publish(Subjects.execRequest('acme', 'fn'), body, { msgID: body });
        } catch {
          await sleep(250); // no stream leader for a few seconds: publish again (the msgID keeps it once)
        }
      }
    };
    const arrived = (body: string) => () => Promise.resolve(received.includes(body) ? true : undefined);
    await publish('before');
    await waitFor(arrived('before'), 15_000, 'the first message');

    await cluster.node(leader).kill();
    await publish('after');
    // A consumer waiting out the client's default pull expiry (30 s) would miss this; ours pulls again in 5 s.
    await waitFor(arrived('after'), 25_000, 'a message after the kill');
    expect(received).toEqual(['before', 'after']);
  });
});
