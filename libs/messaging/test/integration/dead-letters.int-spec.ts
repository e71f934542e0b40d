import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Consumers, DeadLetterHeaders, Dispositions, Streams, Subjects } from '@signalbox/contracts';
import { NatsServerProcess, waitFor, WORKSPACE_ROOT } from '@signalbox/testing';

import { NatsClient, PullConsumer } from '../../src';

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A message no handler can finish ends in DEAD_LETTERS after NATS_MAX_DELIVERIES, and can be put back. */
describe('dead letters', () => {
  let server: NatsServerProcess;
  let client: NatsClient;
  let consumer: PullConsumer;
  const seen: string[] = [];
  let failing = true;

  beforeAll(async () => {
    server = await NatsServerProcess.create();
    await server.start();
    client = new NatsClient(
      {
        servers: [server.url],
        service: 'compute-runtime',
        instanceId: 'int-spec',
        replicas: 1,
        duplicateWindowMs: 60_000,
        recordEventsMaxAgeMs: 3_600_000,
        ackWaitMs: 30_000,
        maxDeliveries: 3,
      },
      quietLogger,
    );
    client.start();
    await waitFor(
      () =>
        client.check().then(
          () => true,
          () => undefined,
        ),
      10_000,
      'NATS ready',
    );
    consumer = new PullConsumer(client, {
      consumer: Consumers.runtimeExecutions,
      concurrency: 4,
      logger: quietLogger,
      handle: (message) => {
        seen.push(message.string());
        return Promise.resolve(failing ? Dispositions.retry(20) : Dispositions.ack());
      },
    });
    consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await client?.drain();
    await server?.dispose();
  });

  it('moves a message that failed NATS_MAX_DELIVERIES times to DEAD_LETTERS, as it was, and acks it', async () => {
    const h = natsHeaders();
    h.set('traceparent', '00-abc-def-01');
    const subject = Subjects.execRequest('acme', 'fn-1');
    const nc = client.connection;
    await jetstream(nc).publish(subject, '{"runId":"r-1"}', { headers: h, msgID: 'r-1' });

    const jsm = await jetstreamManager(nc);
    const letter = await waitFor(
      () =>
        jsm.streams.getMessage(Streams.deadLetters.name, { last_by_subj: 'deadletter.executions' }).then(
          (message) => message ?? undefined,
          () => undefined,
        ),
      10_000,
      'the dead letter',
    );
    expect(seen).toEqual(['{"runId":"r-1"}', '{"runId":"r-1"}', '{"runId":"r-1"}']);
    expect(letter.string()).toBe('{"runId":"r-1"}');
    expect(letter.header.get(DeadLetterHeaders.subject)).toBe(subject);
    expect(letter.header.get(DeadLetterHeaders.deliveries)).toBe('4');
    expect(letter.header.get('traceparent')).toBe('00-abc-def-01');
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(Streams.executions.name, Consumers.runtimeExecutions.durable);
        return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
      },
      5_000,
      'the work queue to be empty',
    );

    // `npm run dead-letters -- list`, then `replay <seq>`: the consumer takes it again, and it is gone from the letters.
    const script = join(WORKSPACE_ROOT, 'scripts', 'dead-letters.mjs');
    const env = { ...process.env, NATS_URL: server.url };
    expect(execFileSync(process.execPath, [script, 'list'], { env, encoding: 'utf8' })).toContain(subject);
    failing = false;
    seen.length = 0;
    const replayed = execFileSync(process.execPath, [script, 'replay', String(letter.seq)], { env, encoding: 'utf8' });
    expect(replayed).toContain(`replayed dead letter ${letter.seq} to ${subject}`);
    await waitFor(() => Promise.resolve(seen.length === 1 ? true : undefined), 5_000, 'the replayed message');
    expect((await jsm.streams.info(Streams.deadLetters.name)).state.messages).toBe(0);
    const check = await connect({ servers: server.url });
    await check.close();
  });
});
