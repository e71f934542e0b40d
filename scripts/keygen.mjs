// `npm run keygen -- --version 2`: prints a new X25519 key pair for sealed secret params.
// The public key goes to data-service (SECRETS_PUBLIC_KEY), the private key only to the execution plane
// (SECRETS_PRIVATE_KEYS, which lists every version still in use). See docs/secrets.md.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { version: { type: 'string', default: '1' } } });
const version = Number(values.version);
if (!Number.isInteger(version) || version < 1) {
  console.error('--version must be a positive integer');
  process.exit(1);
}
let crypto;
try {
  crypto = require('@signalbox/crypto');
} catch {
  console.error('libs/crypto is not built yet: run `npm run build` first.');
  process.exit(1);
}
const pair = await crypto.generateSecretKeyPair();
console.log(`# data-service (seals new secrets with this version)
SECRETS_PUBLIC_KEY=${version}:${pair.publicKey}
# execution plane only; keep every older version listed until no secret uses it
SECRETS_PRIVATE_KEYS=${version}:${pair.privateKey}`);
