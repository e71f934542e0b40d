// The processes of the drill: a 3-node NATS JetStream cluster on loopback and replicas of the services, each
// of which can be killed with SIGKILL and started again on the same ports and store.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, root, sleep } from '../bench/lib.mjs';

const NATS_SERVER = [
  process.env.NATS_SERVER_BIN,
  '/usr/sbin/nats-server',
  '/usr/bin/nats-server',
  '/usr/local/bin/nats-server',
].find((candidate) => candidate && existsSync(candidate));

/** Polls `probe` every 100 ms until it is true; resolves with the milliseconds it took. */
export async function until(probe, timeoutMs, what) {
  const started = Date.now();
  while (!(await probe().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

const httpOk = (url) => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok);

/** A process that the drill can kill -9 and start again with the same command line. */
class Managed {
  child = null;

  constructor(name, command, args, env, logFile) {
    Object.assign(this, { name, command, args, env, logFile });
  }

  get running() {
    return this.child !== null;
  }

  start() {
    const log = openSync(this.logFile, 'a');
    const child = spawn(this.command, this.args, { cwd: root, env: this.env, stdio: ['ignore', log, log] });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
  }

  /** SIGKILL: no drain, no goodbye; whatever the process held in memory is gone. */
  async kill(signal = 'SIGKILL') {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = null;
  }
}

export class NatsNode extends Managed {
  static async create(index, logDir) {
    const ports = { client: await freePort(), cluster: await freePort(), monitor: await freePort() };
    return new NatsNode(index, ports, logDir);
  }

  constructor(index, ports, logDir) {
    const store = join(logDir, `nats-${index}-store`);
    mkdirSync(store, { recursive: true });
    super(`nats-${index}`, NATS_SERVER, [], { PATH: process.env.PATH }, join(logDir, `nats-${index}.log`));
    this.ports = ports;
    this.store = store;
  }

  get url() {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  /** Routes to every node of the cluster (a node skips its own). */
  configure(nodes) {
    this.args = [
      ...['-a', '127.0.0.1', '-p', String(this.ports.client), '-m', String(this.ports.monitor)],
      ...['-js', '-sd', this.store, '--server_name', this.name, '--cluster_name', 'signalbox-drill'],
      ...['--cluster', `nats://127.0.0.1:${this.ports.cluster}`],
      ...['--routes', nodes.map((node) => `nats://127.0.0.1:${node.ports.cluster}`).join(',')],
    ];
  }

  /** `/healthz` answers 200 once the server is up and its JetStream assets are current with the cluster. */
  waitHealthy(timeoutMs = 60_000) {
    return until(() => httpOk(`http://127.0.0.1:${this.ports.monitor}/healthz`), timeoutMs, `${this.name} healthy`);
  }
}

export async function startNatsCluster(logDir, size = 3) {
  if (!NATS_SERVER)
    throw new Error('nats-server not found (Debian: apt-get install nats-server; or set NATS_SERVER_BIN)');
  const nodes = [];
  for (let i = 1; i <= size; i++) nodes.push(await NatsNode.create(i, logDir));
  for (const node of nodes) node.configure(nodes);
  for (const node of nodes) node.start();
  await Promise.all(nodes.map((node) => node.waitHealthy()));
  return nodes;
}

export class Replica extends Managed {
  constructor(app, index, port, env, logDir) {
    super(
      `${app}#${index}`,
      process.execPath,
      [join(root, `apps/${app}/dist/main.js`)],
      { ...env, PORT: String(port), INSTANCE_ID: `${app}-${index}` },
      join(logDir, `${app}-${index}.log`),
    );
    this.app = app;
    this.port = port;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  waitReady(timeoutMs = 90_000) {
    return until(() => httpOk(`${this.url}/health/ready`), timeoutMs, `${this.name} ready`);
  }
}

/** `count` replicas of every app, on fixed ports (a restarted replica comes back where it was). */
export async function createReplicas(apps, count, env, logDir) {
  const replicas = [];
  for (const app of apps)
    for (let i = 1; i <= count; i++) replicas.push(new Replica(app, i, await freePort(), env, logDir));
  return replicas;
}
