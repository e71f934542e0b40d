import { type KV, Kvm } from '@nats-io/kv';
import { configKey } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import type { Database } from '@signalbox/persistence';
import { NatsServerProcess, waitFor } from '@signalbox/testing';

import type { ComputeFunctionEntity } from '../../src/compute-functions/compute-function.entity';
import { toFunctionConfig } from '../../src/compute-functions/compute-function.mapper';
import type { ComputeFunctionRepository } from '../../src/compute-functions/compute-function.repository';
import { ConfigPublisher } from '../../src/config-sync/config-publisher.service';
import type { FunctionTriggerRepository } from '../../src/function-triggers/function-trigger.repository';
import type { WebhookRepository } from '../../src/webhooks/webhook.repository';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function fn(id: string, version: number): ComputeFunctionEntity {
  const at = new Date(Date.UTC(2026, 11, 6, 10, version));
  return {
    id,
    workspaceSlug: 'acme',
    name: id,
    description: '',
    code: `async function run() { return ${version}; }`,
    timeoutMs: 1000,
    memoryMb: 64,
    version,
    createdBy: 'u',
    updatedBy: 'u',
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * The reconcile reads Postgres, then makes the buckets equal to what it read. Requests committed and published
 * in between are newer than what it read: it must not undo them (before, it deleted a function created in that
 * gap, wrote back an older version and brought back a deleted one, so runs failed with "function not found").
 */
describe('ConfigPublisher reconcile racing the writers', () => {
  let server: NatsServerProcess;
  let client: NatsClient;
  let functions: KV;

  beforeEach(async () => {
    server = await NatsServerProcess.create();
    await server.start();
    client = new NatsClient(
      {
        servers: [server.url],
        service: 'data-service',
        instanceId: 'config-reconcile-int-spec',
        replicas: 1,
        duplicateWindowMs: 60_000,
        recordEventsMaxAgeMs: 3_600_000,
        ackWaitMs: 30_000,
      },
      quiet,
    );
    client.start();
    await waitFor(() => client.check().then(() => true), 15_000, 'NATS ready');
    functions = await new Kvm(client.connection).open('functions');
  });

  afterEach(async () => {
    await client.drain();
    await server.dispose();
  });

  /** A publisher whose Postgres holds `snapshot`; `meanwhile` runs after the read, as a request would. */
  function publisher(snapshot: ComputeFunctionEntity[], meanwhile: (p: ConfigPublisher) => Promise<void>) {
    const none = { all: () => Promise.resolve([]) };
    const sut: ConfigPublisher = new ConfigPublisher(
      client,
      { whenReady: () => Promise.resolve() } as unknown as Database,
      { all: () => meanwhile(sut).then(() => snapshot) } as unknown as ComputeFunctionRepository,
      none as unknown as FunctionTriggerRepository,
      none as unknown as WebhookRepository,
    );
    return sut;
  }

  async function stored(id: string): Promise<{ version: number } | 'deleted' | undefined> {
    const entry = await functions.get(configKey('acme', id));
    if (!entry) return undefined;
    return entry.operation === 'PUT' ? entry.json<{ version: number }>() : 'deleted';
  }

  it('keeps what was committed and published after its read, and still heals what was lost before', async () => {
    const setup = publisher([], () => Promise.resolve());
    await setup.publishFunction(toFunctionConfig(fn('updated', 1)));
    await setup.publishFunction(toFunctionConfig(fn('deleted', 1)));
    await setup.publishFunction(toFunctionConfig(fn('stale', 1)));
    await setup.publishFunction(toFunctionConfig(fn('lost', 1)));
    await functions.delete(configKey('acme', 'lost')); // as if the process had died between commit and publish

    const sut = publisher([fn('updated', 1), fn('deleted', 1), fn('lost', 1)], async (p) => {
      await p.publishFunction(toFunctionConfig(fn('created', 1)));
      await p.publishFunction(toFunctionConfig(fn('updated', 2)));
      await p.removeFunction('acme', 'deleted');
    });
    expect(await sut.reconcile()).toBe(true);

    expect(await stored('created')).toMatchObject({ version: 1 });
    expect(await stored('updated')).toMatchObject({ version: 2 });
    expect(await stored('deleted')).toBe('deleted');
    expect(await stored('lost')).toMatchObject({ version: 1 });
    expect(await stored('stale')).toBe('deleted');
  });

  it('ends with the newest version when two replicas reconcile at once, whichever read Postgres first', async () => {
    const setup = publisher([], () => Promise.resolve());
    await setup.publishFunction(toFunctionConfig(fn('raced', 1)));
    // A request committed version 3 and its publish was lost. Replica B read Postgres before that (version 2),
    // replica A after it (version 3); B writes while A is between its bucket revision and its Postgres read.
    const late = publisher([fn('raced', 2)], () => Promise.resolve());
    const sut = publisher([fn('raced', 3)], async () => {
      expect(await late.reconcile()).toBe(true);
    });
    expect(await sut.reconcile()).toBe(true);
    expect(await stored('raced')).toMatchObject({ version: 3 });

    // And the other way round: the older read finishes last, and must not overwrite the newer one.
    const newer = publisher([fn('raced', 4)], () => Promise.resolve());
    const older = publisher([fn('raced', 3)], async () => {
      expect(await newer.reconcile()).toBe(true);
    });
    expect(await older.reconcile()).toBe(true);
    expect(await stored('raced')).toMatchObject({ version: 4 });
  });
});
