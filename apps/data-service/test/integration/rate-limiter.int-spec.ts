import { Database } from '@signalbox/persistence';
import { createTestDatabase, type TestDatabase } from '@signalbox/testing';

import { entities } from '../../src/database/entities';
import { migrations } from '../../src/database/migrations';
import { RateLimiter } from '../../src/rate-limits/rate-limiter';

const quiet = { info: () => undefined, warn: () => undefined };

describe(RateLimiter.name, () => {
  let db: TestDatabase;
  let databases: Database[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two pools, as two replicas would have.
    databases = [1, 2].map(
      (n) =>
        new Database(
          { url: db.url, schema: 'data', poolMax: 4, applicationName: `limiter-${n}`, entities, migrations },
          quiet,
        ),
    );
    await Promise.all(databases.map((database) => database.whenReady()));
  });

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.close()));
    await db.drop();
  });

  it('allows exactly the limit in a window across replicas, whatever arrives together', async () => {
    const [a, b] = databases.map((database) => new RateLimiter(database));
    const now = Date.UTC(2026, 10, 26, 12, 0, 10);
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).hit('api-key:k1:execute', 20, now)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    expect(decisions.map((d) => d.remaining).sort((x, y) => x - y)).toEqual([
      ...Array.from({ length: 11 }, () => 0),
      ...Array.from({ length: 19 }, (_, i) => i + 1),
    ]);
    expect(decisions[0].resetSeconds).toBe(50);
    // Another key and the next window start from zero.
    expect((await a.hit('jwt:alice:execute', 20, now)).remaining).toBe(19);
    expect((await b.hit('api-key:k1:execute', 20, now + 60_000)).remaining).toBe(19);
    a.onApplicationShutdown();
    b.onApplicationShutdown();
  });

  it('counts hits that arrive while an upsert runs, and a key jsonb would refuse fails no one', async () => {
    const limiter = new RateLimiter(databases[0]);
    const now = Date.UTC(2026, 10, 26, 12, 5, 10);
    const hostile = `jwt:${'\u0000'}evil${'x'.repeat(300)}:read`;
    const first = Array.from({ length: 5 }, () => limiter.hit('jwt:bob:read', 8, now));
    // Submitted a turn later, while the first upsert is in flight: they wait for it and share the next one.
    await new Promise((resolve) => setImmediate(resolve));
    const later = [
      ...Array.from({ length: 5 }, () => limiter.hit('jwt:bob:read', 8, now)),
      limiter.hit(hostile, 8, now),
    ];
    const decisions = await Promise.all([...first, ...later]);
    expect(decisions.slice(0, 10).map((d) => d.remaining)).toEqual([7, 6, 5, 4, 3, 2, 1, 0, 0, 0]);
    expect(decisions.slice(0, 10).filter((d) => d.allowed)).toHaveLength(8);
    expect(decisions[10]).toMatchObject({ allowed: true, remaining: 7 });
    limiter.onApplicationShutdown();
  });
});
