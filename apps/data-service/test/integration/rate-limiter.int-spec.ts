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
});
