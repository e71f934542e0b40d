import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, natsServerBinary, waitFor } from './processes';

/** One server of a `NatsCluster`: it can be killed (SIGKILL by default) and started again on its ports and store. */
export class NatsClusterNode {
  private child: ChildProcess | null = null;
  private exit: Promise<void> | null = null;
  private args: string[] = [];

  constructor(
    readonly name: string,
    readonly ports: { readonly client: number; readonly cluster: number; readonly monitor: number },
    private readonly storeDir: string,
    private readonly logFile: string | null,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Routes to every node of the cluster (a server recognises and skips its own). */
  configure(clusterName: string, nodes: readonly NatsClusterNode[]): void {
    this.args = [
      ...['-a', '127.0.0.1', '-p', String(this.ports.client), '-m', String(this.ports.monitor)],
      ...['-js', '-sd', this.storeDir, '--server_name', this.name, '--cluster_name', clusterName],
      ...['--cluster', `nats://127.0.0.1:${this.ports.cluster}`],
      ...['--routes', nodes.map((node) => `nats://127.0.0.1:${node.ports.cluster}`).join(',')],
    ];
  }

  start(): void {
    if (this.child) return;
    const output = this.logFile ? openSync(this.logFile, 'a') : 'ignore';
    const child = spawn(natsServerBinary(), this.args, { stdio: ['ignore', output, output] });
    this.child = child;
    this.exit = new Promise((done) =>
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        done();
      }),
    );
  }

  /** Sends the signal (SIGKILL: no goodbye to the cluster, nothing flushed) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.exit) return;
    child.kill(signal);
    await this.exit;
  }

  /**
   * Resolves with the milliseconds until `/healthz` answers 200: the server is up, in contact with the
   * JetStream meta leader, and its streams and consumers are current.
   */
  async waitHealthy(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${this.ports.monitor}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok
          ? true
          : undefined,
      timeoutMs,
      `${this.name} healthy`,
    );
    return Date.now() - started;
  }
}

/**
 * A real JetStream cluster of `size` nats-server processes with routes on loopback, for tests and the scale
 * drill: streams declared with replicas 3 live on all three, and one node can be killed and brought back.
 */
export class NatsCluster {
  private constructor(
    readonly nodes: readonly NatsClusterNode[],
    private readonly storeRoot: string,
    private readonly ownsStore: boolean,
  ) {}

  /** `logDir`: each server's log (and store) goes there and is kept; otherwise a temporary folder is removed. */
  static async create(options: { size?: number; logDir?: string; name?: string } = {}): Promise<NatsCluster> {
    const storeRoot = options.logDir ?? mkdtempSync(join(tmpdir(), 'signalbox-nats-cluster-'));
    const nodes: NatsClusterNode[] = [];
    for (let i = 1; i <= (options.size ?? 3); i++) {
      const ports = { client: await freePort(), cluster: await freePort(), monitor: await freePort() };
      const logFile = options.logDir ? join(options.logDir, `nats-${i}.log`) : null;
      const storeDir = join(storeRoot, `nats-${i}-store`);
      mkdirSync(storeDir, { recursive: true });
      nodes.push(new NatsClusterNode(`nats-${i}`, ports, storeDir, logFile));
    }
    for (const node of nodes) node.configure(options.name ?? 'signalbox-test', nodes);
    return new NatsCluster(nodes, storeRoot, options.logDir === undefined);
  }

  /** Every server's client URL, for a client that fails over between them. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  node(name: string): NatsClusterNode {
    const found = this.nodes.find((node) => node.name === name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  }

  async start(): Promise<void> {
    for (const node of this.nodes) node.start();
    await Promise.all(this.nodes.map((node) => node.waitHealthy()));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill('SIGTERM')));
    if (this.ownsStore) rmSync(this.storeRoot, { recursive: true, force: true });
  }
}
