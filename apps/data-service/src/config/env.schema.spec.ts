import { DEVELOPMENT_JWT_SECRET } from '@signalbox/auth';
import { parseEnv } from '@signalbox/service-kit';

import { EnvSchema, resolveAuth } from './env.schema';

const env = (values: Record<string, string>) => parseEnv(EnvSchema, values);

describe('resolveAuth', () => {
  it('uses the development secret outside production, and says so', () => {
    const sut = resolveAuth(env({}));
    expect(sut.usingDevelopmentSecret).toBe(true);
    expect(sut.settings).toEqual({ secret: DEVELOPMENT_JWT_SECRET, algorithms: ['HS256'] });
  });

  it('refuses to start in production without a secret or JWKS', () => {
    expect(() => resolveAuth(env({ NODE_ENV: 'production' }))).toThrow(
      'JWT_SECRET or JWT_JWKS_URI is required when NODE_ENV=production',
    );
  });

  it('refuses a short secret in production', () => {
    expect(() => resolveAuth(env({ NODE_ENV: 'production', JWT_SECRET: 'only-sixteen-chr' }))).toThrow(
      'JWT_SECRET must be at least 32 characters',
    );
  });

  it('defaults JWKS issuers to RS256/ES256 and refuses HS algorithms with them', () => {
    const jwks = { JWT_JWKS_URI: 'https://issuer.example/.well-known/jwks.json' };
    expect(resolveAuth(env(jwks)).settings.algorithms).toEqual(['RS256', 'ES256']);
    expect(() => resolveAuth(env({ ...jwks, JWT_ALGORITHMS: 'HS256' }))).toThrow('JWT_ALGORITHMS HS256 cannot be used');
  });

  it('refuses both a secret and a JWKS URI', () => {
    expect(() => resolveAuth(env({ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URI: 'https://issuer.example/jwks' }))).toThrow(
      'set only one of JWT_SECRET and JWT_JWKS_URI',
    );
  });

  it('passes issuer and audience through', () => {
    const sut = resolveAuth(
      env({ JWT_SECRET: 'x'.repeat(32), JWT_ISSUER: 'https://id.acme', JWT_AUDIENCE: 'signalbox' }),
    );
    expect(sut.settings).toEqual({
      secret: 'x'.repeat(32),
      algorithms: ['HS256'],
      issuer: 'https://id.acme',
      audience: 'signalbox',
    });
  });

  it('accepts earlier secrets during a rotation: JWT_SECRET signs, JWT_PREVIOUS_SECRETS (comma-separated) verify', () => {
    const sut = resolveAuth(
      env({ JWT_SECRET: 'n'.repeat(32), JWT_PREVIOUS_SECRETS: `${'p'.repeat(32)}, ${'o'.repeat(32)}` }),
    );
    expect(sut.settings).toEqual({
      secret: 'n'.repeat(32),
      previousSecrets: ['p'.repeat(32), 'o'.repeat(32)],
      algorithms: ['HS256'],
    });
    expect(() => resolveAuth(env({ JWT_PREVIOUS_SECRETS: 'p'.repeat(32) }))).toThrow('needs JWT_SECRET');
    expect(() =>
      resolveAuth(env({ JWT_SECRET: 'n'.repeat(32), JWT_PREVIOUS_SECRETS: `${'p'.repeat(32)},short` })),
    ).toThrow('at least 16 characters');
    expect(() =>
      resolveAuth(env({ NODE_ENV: 'production', JWT_SECRET: 'n'.repeat(32), JWT_PREVIOUS_SECRETS: 'p'.repeat(20) })),
    ).toThrow('at least 32 characters');
  });
});

describe('CONSOLE_TRACE_URL', () => {
  it('takes an http(s) link template with {traceId} in it, and refuses anything else', () => {
    const url = 'http://localhost:16686/trace/{traceId}';
    expect(env({ CONSOLE_TRACE_URL: url }).CONSOLE_TRACE_URL).toBe(url);
    for (const bad of ['http://localhost:16686/trace/', 'javascript:alert(1)//{traceId}', 'https://x/{traceId}"><b>']) {
      expect(() => env({ CONSOLE_TRACE_URL: bad })).toThrow('CONSOLE_TRACE_URL');
    }
  });
});
