import { parseEnv } from '@signalbox/service-kit';

import { EnvSchema } from './env.schema';

describe('event-router configuration', () => {
  it('listens on its default port 3003 with local Postgres and NATS defaults', () => {
    const sut = parseEnv(EnvSchema, {});
    expect(sut.PORT).toBe(3003);
    expect(sut.NATS_URL).toBe('nats://127.0.0.1:4222');
    // Owns nothing durable but its consumer position: no Postgres setting at all.
    expect(Object.keys(EnvSchema.properties)).not.toContain('DATABASE_URL');
  });

  it('names an invalid setting', () => {
    expect(() => parseEnv(EnvSchema, { NATS_URL: 'http://wrong' })).toThrow(
      /^Invalid configuration: NATS_URL must match pattern/,
    );
  });
});
