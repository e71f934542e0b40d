// Helpers shared by the benchmarks: ports, waiting, percentiles, a throw-away database, a service process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const require = createRequire(join(root, 'package.json'));
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Ports are drawn below Linux's ephemeral range (32768-60999), where the processes' own outbound connections take
// their local ports, and never handed out twice by one process: asking the kernel for port 0 can return a port it
// returned a moment before (two drill replicas once got the same one), or one an outbound connection takes next.
const handedOut = new Set();
const canListen = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

export async function freePort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
}

export const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

/** A fresh database for one benchmark: `{ url, drop() }`. */
export async function createBenchDatabase(prefix) {
  const pg = require('pg');
  const name = `${prefix}_${Date.now()}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Starts `apps/<app>/dist/main.js` on a free port and resolves once it is ready: `{ port, child }`. */
export async function startService(app, env, nodeArgs = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(root, `apps/${app}/dist/main.js`)], {
    cwd: root,
    stdio: 'ignore',
    env: { ...env, PORT: String(port) },
  });
  for (
    let i = 0;
    !(await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  ) {
    if (i > 150) throw new Error(`${app} did not become ready`);
    await sleep(200);
  }
  return { port, child };
}

/** Builds these Nx projects (and what they depend on) before a benchmark starts their builds. */
export function buildProjects(projects) {
  console.log('building...');
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', `--projects=${projects.join(',')}`], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (result.status !== 0) throw new Error('build failed');
}

/** See libs/testing: the config buckets say data-service filled them, for benchmarks that write configs themselves. */
export const markConfigBucketsFilled = (natsUrl) => require('@signalbox/testing').markConfigBucketsFilled(natsUrl);

/** The environment benchmarks start services with: quiet logs, this database and NATS, and `extra`. */
export const serviceEnv = (databaseUrl, natsUrl, extra = {}) => ({
  PATH: process.env.PATH,
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  DATABASE_URL: databaseUrl,
  NATS_URL: natsUrl,
  ...extra,
});

/** API rate limits out of the way: a benchmark measures the service, not its limits. */
export const UNLIMITED = {
  RATE_LIMIT_READ_PER_MINUTE: '100000000',
  RATE_LIMIT_WRITE_PER_MINUTE: '100000000',
  RATE_LIMIT_EXECUTE_PER_MINUTE: '100000000',
};

// CPU seconds (user + system) of a process, read from /proc (Linux).
const TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || 100);
export const cpuOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
};
/** The live children of a process (a runtime's sandbox workers). */
export const childrenOf = (pid) =>
  spawnSync('pgrep', ['-P', String(pid)])
    .stdout.toString()
    .split('\n')
    .filter(Boolean)
    .map(Number);
/** Every postgres process on the machine (the server's backends and its own workers). */
export const postgresPids = () =>
  spawnSync('pgrep', ['-x', 'postgres']).stdout.toString().split('\n').filter(Boolean).map(Number);
/**
 * CPU seconds of Postgres: the postmaster, its live backends, and the backends that have exited (the postmaster's
 * children's times), so that a connection closing during a measurement does not take its CPU with it.
 */
export const postgresCpu = () => {
  const pids = postgresPids();
  const postmaster = Math.min(...pids);
  let total = 0;
  for (const pid of pids) total += cpuOf(pid);
  try {
    const fields = readFileSync(`/proc/${postmaster}/stat`, 'utf8').split(') ')[1].split(' ');
    total += (Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    // gone: counted as nothing
  }
  return total;
};
