import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '../../..');

/**
 * A free TCP port on loopback, never the same twice in one process, drawn below Linux's ephemeral range (32768-60999)
 * where outbound connections take their local ports: port 0 can return a port the kernel returned a moment before.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
}

const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/** The nats-server binary: NATS_SERVER_BIN, or Debian's and the usual install paths. */
export function natsServerBinary(): string {
  const candidates = [
    process.env['NATS_SERVER_BIN'],
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (!found) throw new Error('nats-server binary not found (set NATS_SERVER_BIN)');
  return found;
}

/**
 * A private, real nats-server with JetStream on a free port, for tests that stop and start NATS
 * without disturbing anything else. Its store survives `stop()`/`start()` like a real restart.
 */
export class NatsServerProcess {
  private child: ChildProcess | null = null;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'signalbox-nats-'));

  private constructor(readonly port: number) {}

  /** The server's process id while it runs (for benchmarks that account CPU per process). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async create(): Promise<NatsServerProcess> {
    return new NatsServerProcess(await freePort());
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    this.child = child;
    await waitFor(() => canConnect(this.port), 10_000, `nats-server on ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the server and deletes its store: it comes back with no streams, buckets or messages (data loss). */
  async wipe(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
    mkdirSync(this.storeDir, { recursive: true });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

async function canConnect(port: number): Promise<true | undefined> {
  return new Promise((done) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(undefined));
  });
}

/**
 * A TCP port that refuses connections until `open()`, then forwards to `target`: "Postgres comes
 * back" without stopping the machine's Postgres. `holdRepliesAfter(texts)`: once a client has sent bytes
 * that contain each of `texts` in turn on one connection (a statement, then its `COMMIT`), nothing the target
 * answers reaches any client until `releaseReplies()`: the transaction commits, and its client does not hear so
 * (a process to kill between a commit and its next line).
 */
export class DelayedTcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private held: Array<() => void> | null = null;
  private holdAfter: readonly string[] | null = null;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async create(target: { host: string; port: number }): Promise<DelayedTcpProxy> {
    return new DelayedTcpProxy(await freePort(), target);
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      let seen = 0;
      client.on('data', (chunk: Buffer) => {
        const texts = this.holdAfter;
        if (texts === null) return;
        if (seen < texts.length && chunk.includes(texts[seen])) seen++;
        if (seen === texts.length) this.held ??= [];
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.held) this.held.push(() => client.write(chunk));
        else client.write(chunk);
      });
      upstream.once('end', () => (this.held ? this.held.push(() => client.end()) : client.end()));
    });
    this.server = server;
    await new Promise<void>((done) => server.listen(this.port, '127.0.0.1', done));
  }

  holdRepliesAfter(texts: readonly string[]): void {
    this.holdAfter = texts;
  }

  releaseReplies(): void {
    const held = this.held ?? [];
    this.held = null;
    this.holdAfter = null;
    for (const send of held) send();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }
}
