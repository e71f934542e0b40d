import { HealthRegistry } from './health.registry';

describe(HealthRegistry.name, () => {
  it('is ready only when every check passes, and names the failing one', async () => {
    const sut = new HealthRegistry(1000);
    sut.register('postgres', () => Promise.resolve());
    sut.register('nats', () => Promise.reject(new Error('connection refused')));

    const report = await sut.report();

    expect(report.ready).toBe(false);
    expect(report.checks).toEqual({ postgres: { ok: true }, nats: { ok: false, error: 'connection refused' } });
  });

  it('fails a check that does not answer in time', async () => {
    const sut = new HealthRegistry(20);
    sut.register('slow', () => new Promise(() => undefined));

    const report = await sut.report();

    expect(report).toEqual({ ready: false, checks: { slow: { ok: false, error: 'no answer within 20 ms' } } });
  });

  it('is ready with all checks passing', async () => {
    const sut = new HealthRegistry();
    sut.register('a', () => Promise.resolve());
    expect(await sut.report()).toEqual({ ready: true, checks: { a: { ok: true } } });
  });
});
