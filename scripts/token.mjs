// `npm run token -- --workspace acme --permissions '*'`: prints a JWT for local use.
// Signed with JWT_SECRET, or with the development secret that services use when JWT_SECRET is unset.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    workspace: { type: 'string', multiple: true, default: ['acme'] },
    permissions: { type: 'string', default: '*' },
    subject: { type: 'string', default: 'dev-user' },
    expires: { type: 'string', default: '86400' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    `Usage: npm run token -- [--workspace acme] [--workspace other] [--permissions '*' | 'function-triggers:read,webhooks:write'] [--subject id] [--expires seconds]`,
  );
  process.exit(0);
}

let auth;
try {
  auth = require('@signalbox/auth');
} catch {
  console.error('libs/auth is not built yet: run `npm run build` (or `npm start`) first.');
  process.exit(1);
}

const expires = Number(values.expires);
if (!Number.isInteger(expires) || expires <= 0) {
  console.error('--expires must be a positive number of seconds');
  process.exit(1);
}

console.log(
  auth.mintToken({
    secret: process.env.JWT_SECRET || auth.DEVELOPMENT_JWT_SECRET,
    subject: values.subject,
    workspaces: values.workspace,
    permissions: values.permissions.split(',').map((permission) => permission.trim()),
    expiresInSeconds: expires,
    issuer: process.env.JWT_ISSUER || undefined,
    audience: process.env.JWT_AUDIENCE || undefined,
  }),
);
