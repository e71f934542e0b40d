import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { DefaultPorts, type ServiceName } from '@signalbox/contracts';

import { freePort, waitFor, WORKSPACE_ROOT } from './processes';

/**
 * One real service, started from its build (`apps/<name>/dist/main.js`) as its own process, the
 * way `npm start` and production start it. Output is captured for assertions.
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private output = '';
  private exit: Promise<number | null> | null = null;

  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async create(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
    const port = Number(env['PORT']);
    return new ServiceProcess(name, Number.isInteger(port) && port > 0 ? port : await freePort(), env);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Started and not ended. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(WORKSPACE_ROOT, 'apps', this.name, 'dist', 'main.js')],
      {
        cwd: WORKSPACE_ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          HOST: '127.0.0.1',
          PORT: String(this.port),
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => ((await fetch(`${this.url}/health/ready`)).status === 200 ? true : undefined),
      timeoutMs,
      `${this.name} ready`,
    );
  }

  /** Sends the signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.child || !this.exit) return null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const code = await this.exit;
    this.child = null;
    return code;
  }

  /** Resolves with the exit code once the process ends by itself. */
  async exited(): Promise<number | null> {
    return this.exit ?? null;
  }
}

export const defaultPortOf = (name: ServiceName) => DefaultPorts[name];
