// The drill's service replicas: each runs a service's build on its own port, logs to a file, and can be killed
// with SIGKILL and started again where it was. (The NATS cluster is libs/testing's NatsCluster.)
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';

import { freePort, root, sleep } from '../bench/lib.mjs';

export class Replica {
  child = null;

  constructor(app, index, port, env, logDir) {
    this.app = app;
    this.name = `${app}#${index}`;
    this.port = port;
    this.env = { ...env, PORT: String(port), INSTANCE_ID: `${app}-${index}` };
    this.logFile = join(logDir, `${app}-${index}.log`);
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  start() {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [join(root, `apps/${this.app}/dist/main.js`)], {
      cwd: root,
      env: this.env,
      stdio: ['ignore', log, log],
    });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
  }

  /** SIGKILL by default: no drain, no goodbye; whatever the process held in memory is gone. */
  async kill(signal = 'SIGKILL') {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Resolves with the milliseconds until `/health/ready` answers 200. */
  async waitReady(timeoutMs = 90_000) {
    const started = Date.now();
    const ready = () =>
      fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.ok,
        () => false,
      );
    while (!(await ready())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.name}`);
      await sleep(100);
    }
    return Date.now() - started;
  }
}

/** `count` replicas of every app, on fixed ports (a restarted replica comes back where it was). */
export async function createReplicas(apps, count, env, logDir) {
  const replicas = [];
  for (const app of apps) {
    for (let i = 1; i <= count; i++) replicas.push(new Replica(app, i, await freePort(), env, logDir));
  }
  return replicas;
}
