import { Type } from '@sinclair/typebox';

import { commonEnvProperties, ConfigError, databaseEnvProperties, parseEnv } from './env';

describe('parseEnv', () => {
  const schema = Type.Object({ ...commonEnvProperties(3002), ...databaseEnvProperties() });

  it('applies defaults and coerces numbers', () => {
    const sut = parseEnv(schema, { PORT: '4000', NATS_STREAM_REPLICAS: '3' });
    expect(sut.PORT).toBe(4000);
    expect(sut.NATS_STREAM_REPLICAS).toBe(3);
    expect(sut.NODE_ENV).toBe('development');
    expect(sut.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/signalbox');
  });

  it('uses the service default port', () => {
    expect(parseEnv(schema, {}).PORT).toBe(3002);
  });

  it('names every bad key in one line', () => {
    const attempt = () => parseEnv(schema, { PORT: 'abc', DATABASE_URL: 'mysql://x', NODE_ENV: 'prod' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).not.toContain('\n');
      expect(message).toContain('PORT must be integer (got "abc")');
      expect(message).toContain('DATABASE_URL must match pattern');
      expect(message).toContain('NODE_ENV');
      expect(message).toContain('one of development, test, production');
    }
  });

  it('treats an empty string as unset and reports a missing required key', () => {
    const strict = Type.Object({ JWT_SECRET: Type.String({ minLength: 1 }) });
    expect(() => parseEnv(strict, { JWT_SECRET: '' })).toThrow('Invalid configuration: JWT_SECRET is required');
  });

  it('refuses an out-of-range port', () => {
    expect(() => parseEnv(schema, { PORT: '70000' })).toThrow('PORT must be <= 65535 (got "70000")');
  });
});
