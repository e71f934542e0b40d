import {
  createTestDatabase,
  DelayedTcpProxy,
  markConfigBucketsFilled,
  NatsServerProcess,
  ServiceProcess,
  TEST_JWT_SECRET,
  TEST_POSTGRES_URL,
  type TestDatabase,
  waitFor,
} from '@signalbox/testing';

interface ReadyBody {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const readiness = async (service: ServiceProcess) => {
  const response = await fetch(`${service.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
};

describe('faults and bad configuration', () => {
  let database: TestDatabase;
  let nats: NatsServerProcess;
  const started: ServiceProcess[] = [];
  const service = async (...args: Parameters<typeof ServiceProcess.create>) => {
    const created = await ServiceProcess.create(...args);
    started.push(created);
    return created;
  };

  beforeEach(async () => {
    database = await createTestDatabase();
    nats = await NatsServerProcess.create();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((created) => created.stop('SIGKILL')));
    await nats.dispose();
    await database.drop();
  });

  it('starts while NATS is down, answers not-ready, and becomes ready by itself when NATS comes up', async () => {
    const sut = await service('data-service', {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    sut.start();

    const down = await waitFor(
      async () => {
        const answer = await readiness(sut);
        return answer.body.checks['postgres']?.ok ? answer : undefined;
      },
      20_000,
      'data-service answering with Postgres ok',
    );
    expect(down.status).toBe(503);
    expect(down.body.checks['nats']).toMatchObject({ ok: false });

    await nats.start();
    await sut.waitReady(20_000);
    expect((await readiness(sut)).body.checks['nats']).toEqual({ ok: true });

    await nats.stop();
    await waitFor(
      async () => ((await readiness(sut)).status === 503 ? true : undefined),
      20_000,
      'not ready after NATS stops',
    );
    await nats.start();
    await sut.waitReady(30_000);
  });

  it('starts while Postgres is unreachable and becomes ready by itself when it opens', async () => {
    await nats.start();
    await markConfigBucketsFilled(nats.url); // no data-service here: stand in for its reconcile
    const target = new URL(TEST_POSTGRES_URL);
    const proxy = await DelayedTcpProxy.create({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const sut = await service('scheduler-service', { DATABASE_URL: viaProxy.toString(), NATS_URL: nats.url });
    sut.start();

    const down = await waitFor(
      async () => {
        const answer = await readiness(sut);
        return answer.body.checks['nats']?.ok ? answer : undefined;
      },
      20_000,
      'scheduler-service answering with NATS ok',
    );
    expect(down.status).toBe(503);
    expect(down.body.checks['postgres']?.ok).toBe(false);
    expect(down.body.checks['postgres']?.error).toMatch(/ECONNREFUSED|connect/);

    await proxy.open();
    await sut.waitReady(30_000);
    expect(await sut.stop('SIGTERM')).toBe(0);
    await proxy.close();
  });

  it.each([
    [{ PORT: 'not-a-port' }, /^Invalid configuration: PORT must be integer \(got "not-a-port"\)$/m],
    [
      { NODE_ENV: 'production' },
      /^Invalid configuration: JWT_SECRET or JWT_JWKS_URI is required when NODE_ENV=production$/m,
    ],
    [{ DATABASE_URL: 'mysql://nope' }, /^Invalid configuration: DATABASE_URL must match pattern/m],
  ])('refuses to start with %j and names the setting in one line', async (env, message) => {
    const sut = await service('data-service', { ...env });
    sut.start();
    expect(await sut.exited()).toBe(1);
    expect(sut.logs.trim().split('\n')).toHaveLength(1);
    expect(sut.logs).toMatch(message);
  });
});
