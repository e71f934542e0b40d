// `node scripts/ensure-dependencies.mjs`: make sure Postgres and NATS run (CI and tests use it).
import { ensureDependencies } from './lib/dependencies.mjs';

try {
  await ensureDependencies();
  console.log('Postgres and NATS are reachable');
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
