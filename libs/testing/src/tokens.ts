import { DEVELOPMENT_JWT_SECRET, mintToken } from '@signalbox/auth';

export const TEST_JWT_SECRET = 'signalbox-test-secret-0123456789abcdef';

export function testToken(
  options: {
    workspaces?: string[];
    permissions?: string[];
    subject?: string;
    secret?: string;
    expiresInSeconds?: number;
  } = {},
): string {
  return mintToken({
    secret: options.secret ?? TEST_JWT_SECRET,
    subject: options.subject ?? 'test-user',
    workspaces: options.workspaces ?? ['*'],
    permissions: options.permissions ?? ['*'],
    expiresInSeconds: options.expiresInSeconds ?? 600,
  });
}

export { DEVELOPMENT_JWT_SECRET };
