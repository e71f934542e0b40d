import { parseEnv } from '@signalbox/service-kit';

import { EnvSchema } from './env.schema';

describe('scheduler-service configuration', () => {
  it('listens on its default port 3002 with local Postgres and NATS defaults', () => {
    const sut = parseEnv(EnvSchema, {});
    expect(sut.PORT).toBe(3002);
    expect(sut.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(sut.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/signalbox');
  });

  it('names an invalid setting', () => {
    expect(() => parseEnv(EnvSchema, { NATS_URL: 'http://wrong' })).toThrow(
      /^Invalid configuration: NATS_URL must match pattern/,
    );
  });
});
