// Finds Postgres and NATS, starts the machine's own servers when they are installed but stopped,
// and otherwise says exactly what to run. Used by `npm start` and by `.ci/run`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/signalbox';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function reachable(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReachable(host, port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(host, port)) return true;
    await sleep(250);
  }
  return false;
}

const which = (binary) => spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
const isLocal = (host) => ['127.0.0.1', 'localhost', '::1'].includes(host);

function startLocalPostgres() {
  if (!which('pg_ctlcluster') || !existsSync('/etc/postgresql')) return false;
  for (const version of readdirSync('/etc/postgresql')) {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
  return true;
}

function startLocalNats(port) {
  const binary = ['/usr/sbin/nats-server', which('nats-server')].find((path) => path && existsSync(path));
  if (!binary) return false;
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-js',
    '-sd',
    '/var/lib/nats-server',
    '-l',
    '/var/log/nats-server.log',
  ];
  if (which('start-stop-daemon') && existsSync('/var/lib/nats-server')) {
    execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', binary, '--', ...args], {
      stdio: 'inherit',
    });
  } else {
    const store = `${process.cwd()}/tmp/nats`;
    spawnSync('sh', ['-c', `nohup ${binary} -a 127.0.0.1 -p ${port} -js -sd ${store} >/dev/null 2>&1 &`]);
  }
  return true;
}

const HINT =
  'Start them with `docker compose up -d postgres nats` (see docker-compose.yml), or point DATABASE_URL and NATS_URL at yours.';

/** Resolves when both are reachable; throws with the exact command to run otherwise. */
export async function ensureDependencies({ log = console.log } = {}) {
  const db = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const nats = new URL((process.env.NATS_URL || DEFAULT_NATS_URL).split(',')[0]);
  const targets = [
    { name: 'Postgres', host: db.hostname, port: Number(db.port || 5432), start: startLocalPostgres },
    { name: 'NATS', host: nats.hostname, port: Number(nats.port || 4222), start: startLocalNats },
  ];
  for (const target of targets) {
    if (await reachable(target.host, target.port)) continue;
    if (isLocal(target.host) && target.start(target.port)) {
      log(`${target.name} was not running on ${target.host}:${target.port}: started the local server`);
      if (await waitReachable(target.host, target.port, 30)) continue;
    }
    throw new Error(`${target.name} is not reachable at ${target.host}:${target.port}. ${HINT}`);
  }
}

/** Creates the platform's database if it does not exist yet (services create their own schemas). */
export async function ensureDatabase(pg) {
  const url = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'signalbox';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
