import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { FairQueue } from './fair-queue';
import type { FromWorker, SandboxJob, SandboxResult, ToWorker, WorkerJob } from './sandbox.types';

/** How long a cancel of a run not (yet) in the pool waits for it, and how many such cancels are kept. */
const CANCELLED_EARLY_KEPT_MS = 60_000;
const CANCELLED_EARLY_MAX = 10_000;

export interface SandboxPoolOptions {
  /** Worker processes (each runs one job at a time). */
  readonly workers: number;
  /** Extra time the supervisor gives a worker past the job's wall-clock limit before killing it. */
  readonly graceMs: number;
  /**
   * The most resident memory a worker process may hold, whatever allocated it (the isolate's own limit
   * covers its heap; this covers every other path). A worker over it is killed and its run fails with
   * `MemoryLimitError`. Read from /proc every `memoryCheckMs`; off where there is no /proc.
   */
  readonly maxWorkerRssMb?: number;
  readonly memoryCheckMs?: number;
  /** The compiled worker entry; defaults to the file beside this one. */
  readonly workerPath?: string;
  /** For the operator's log: the worker's last stderr output says why it died (never shown to users). */
  readonly onWorkerExit?: (info: {
    pid: number | undefined;
    code: number | null;
    signal: string | null;
    stderr: string;
  }) => void;
}

interface Pending {
  readonly job: WorkerJob;
  readonly resolve: (result: SandboxResult) => void;
}

interface Worker {
  readonly process: ChildProcess;
  ready: boolean;
  current: (Pending & { timer: NodeJS.Timeout }) | null;
  /** Set when the pool killed it for its memory: the resident size it was seen at, in MB. */
  overMemoryMb: number | null;
  /** Set when the pool killed it because its run was cancelled. */
  cancelled: boolean;
}

/**
 * Supervises the sandbox worker processes. Jobs wait in a FairQueue: a free worker takes the oldest job of
 * the workspace with the fewest jobs running. A worker that crashes or overruns its job's deadline is
 * killed, its job fails with a clear reason, and a fresh worker takes its place: the runtime stays up
 * whatever user code does.
 */
export class SandboxPool {
  private readonly workers = new Set<Worker>();
  private readonly queue = new FairQueue<Pending>();
  private closed = false;
  private readonly memoryWatch: NodeJS.Timeout | null = null;
  /**
   * Attempts cancelled before they reached this pool (`attemptKey`), until when their cancel holds (insertion order:
   * oldest first).
   */
  private readonly cancelledEarly = new Map<string, number>();

  constructor(private readonly options: SandboxPoolOptions) {
    for (let i = 0; i < options.workers; i++) this.spawn();
    if (options.maxWorkerRssMb !== undefined && process.platform === 'linux') {
      this.memoryWatch = setInterval(() => void this.checkMemory(), options.memoryCheckMs ?? 50);
      this.memoryWatch.unref();
    }
  }

  run(job: SandboxJob): Promise<SandboxResult> {
    if (this.closed) return Promise.reject(new Error('the sandbox pool is closed'));
    const cancelledUntil = this.cancelledEarly.get(attemptKey(job));
    if (cancelledUntil !== undefined) {
      this.cancelledEarly.delete(attemptKey(job));
      if (cancelledUntil > Date.now()) return Promise.resolve(cancelled(job));
    }
    const { executionParams, triggerParams, memoizedSteps, priorityMs, ...rest } = job;
    let input: string;
    try {
      input = JSON.stringify({
        executionParams: executionParams ?? {},
        triggerParams: triggerParams ?? {},
        memoizedSteps,
      });
    } catch (error) {
      return Promise.resolve(refused(rest, `the run's input cannot be handed to the sandbox: ${String(error)}`));
    }
    const memo = memoizedSteps && Object.keys(memoizedSteps).length > 0 ? JSON.stringify(memoizedSteps) : undefined;
    return new Promise((resolve) => {
      this.queue.push(job.workspace, { job: { ...rest, input, ...(memo && { memo }) }, resolve }, priorityMs);
      this.dispatch();
    });
  }

  /**
   * Stops one attempt of a run: one still waiting for a worker leaves the queue, one running has its worker killed (a
   * fresh one takes its place; the isolate's heap and whatever else the run held go with the process). Either way its
   * result is `RunCancelled`. Another attempt of the run (a retry after a cancel) is left alone, as is an attempt this
   * pool does not hold: answers whether it held it.
   */
  cancel(runId: string, attempt: number): boolean {
    const key = attemptKey({ runId, attempt });
    const waiting = this.queue.remove((pending) => attemptKey(pending.job) === key);
    if (waiting) {
      waiting.resolve(cancelled(waiting.job));
      return true;
    }
    for (const worker of this.workers) {
      if (!worker.current || attemptKey(worker.current.job) !== key || worker.cancelled) continue;
      worker.cancelled = true;
      this.kill(worker);
      return true;
    }
    // Not here yet: its runtime may be between claiming it and handing it over (reading its config). A run handed
    // over within the next minute is answered as cancelled without starting.
    this.cancelledEarly.set(key, Date.now() + CANCELLED_EARLY_KEPT_MS);
    if (this.cancelledEarly.size > CANCELLED_EARLY_MAX)
      this.cancelledEarly.delete(this.cancelledEarly.keys().next().value!);
    return false;
  }

  /** Process ids of the live workers (for health, metrics and tests). */
  get pids(): number[] {
    return [...this.workers].map((worker) => worker.process.pid).filter((pid): pid is number => pid !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.memoryWatch) clearInterval(this.memoryWatch);
    const exits = [...this.workers].map((worker) => new Promise((done) => worker.process.once('exit', done)));
    for (const worker of this.workers) worker.process.kill('SIGKILL');
    await Promise.all(exits);
  }

  private spawn(): void {
    const child = fork(this.options.workerPath ?? join(__dirname, 'sandbox.worker.js'), [], {
      execArgv: ['--no-node-snapshot'],
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const worker: Worker = { process: child, ready: false, current: null, overMemoryMb: null, cancelled: false };
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
    this.workers.add(worker);
    child.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        worker.ready = true;
        this.dispatch();
      } else if (message.type === 'result' && worker.current) {
        const { resolve, timer } = worker.current;
        clearTimeout(timer);
        this.queue.done(worker.current.job.workspace);
        worker.current = null;
        resolve(JSON.parse(message.result) as SandboxResult); // JSON.parse does not recurse: any depth is safe
        this.dispatch();
      }
    });
    child.once('disconnect', () => (worker.ready = false));
    child.once('exit', (code, signal) => {
      this.workers.delete(worker);
      if (!this.closed) this.options.onWorkerExit?.({ pid: child.pid, code, signal, stderr });
      if (worker.current) {
        const { job, resolve, timer } = worker.current;
        clearTimeout(timer);
        this.queue.done(job.workspace);
        resolve(
          worker.cancelled
            ? cancelled(job)
            : worker.overMemoryMb === null
              ? crashed(job, code, signal)
              : overMemory(job, worker.overMemoryMb, this.options.maxWorkerRssMb ?? 0),
        );
      }
      if (!this.closed) this.spawn();
    });
  }

  /** Kills every worker whose resident memory is over the cap (its run fails, a new worker takes its place). */
  private async checkMemory(): Promise<void> {
    const capMb = this.options.maxWorkerRssMb ?? Infinity;
    await Promise.all(
      [...this.workers].map(async (worker) => {
        const pid = worker.process.pid;
        const job = worker.current;
        if (pid === undefined || worker.overMemoryMb !== null) return;
        const rssMb = await residentMb(pid);
        if (rssMb === null || rssMb <= capMb || worker.overMemoryMb !== null) return;
        // The run that grew it is the one charged, not one dispatched while /proc was being read.
        if (worker.current !== job) return;
        worker.overMemoryMb = rssMb;
        this.kill(worker);
      }),
    );
  }

  /** No job is dispatched to a worker being killed; its exit handler fails its job and replaces it. */
  private kill(worker: Worker): void {
    worker.ready = false;
    worker.process.kill('SIGKILL');
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.size === 0) return;
      // A worker that was just killed may not have reported its exit yet: its channel is already closed.
      if (!worker.ready || worker.current || !worker.process.connected) continue;
      const pending = this.queue.take()!;
      const timer = setTimeout(() => {
        // The worker's own deadline did not fire (it is stuck or dying): kill it; the exit handler fails the job.
        this.kill(worker);
      }, pending.job.limits.timeoutMs + this.options.graceMs);
      worker.current = { ...pending, timer };
      const message: ToWorker = { type: 'run', job: pending.job };
      try {
        worker.process.send(message, (error) => {
          if (!error || worker.current?.job !== pending.job) return;
          clearTimeout(timer);
          worker.current = null;
          if (worker.cancelled) {
            // Killed for its cancel while the job was on its way: the job is cancelled, not given back.
            this.queue.done(pending.job.workspace);
            pending.resolve(cancelled(pending.job));
            return;
          }
          // Never reached the worker: give the job back and replace the worker.
          this.queue.putBack(pending.job.workspace, pending);
          this.kill(worker);
        });
      } catch (error) {
        // It could not be serialized: this run fails; the worker stays, and so does this process.
        clearTimeout(timer);
        worker.current = null;
        this.queue.done(pending.job.workspace);
        pending.resolve(refused(pending.job, `the run could not be handed to the sandbox: ${String(error)}`));
      }
    }
  }
}

function refused(job: Pick<SandboxJob, 'runId'>, message: string): SandboxResult {
  return { ...crashed(job, null, null), error: { name: 'InvalidInput', message } };
}

function crashed(job: Pick<SandboxJob, 'runId'>, code: number | null, signal: string | null): SandboxResult {
  return {
    runId: job.runId,
    status: 'failed',
    error: {
      name: 'SandboxCrashed',
      message: `the sandbox process running this function stopped (${signal ?? `exit code ${code}`}); the run was abandoned`,
    },
    logs: [],
    logsTruncated: false,
    steps: [],
    durationMs: 0,
    cpuTimeMs: 0,
  };
}

/** One attempt of one run, as the pool's cancels name it. */
const attemptKey = (job: Pick<SandboxJob, 'runId' | 'attempt'>): string => `${job.runId}/${job.attempt}`;

function cancelled(job: Pick<SandboxJob, 'runId'>): SandboxResult {
  return {
    ...crashed(job, null, 'SIGKILL'),
    error: { name: 'RunCancelled', message: 'the run was cancelled; it was stopped in the sandbox' },
  };
}

function overMemory(job: Pick<SandboxJob, 'runId'>, rssMb: number, capMb: number): SandboxResult {
  return {
    ...crashed(job, null, 'SIGKILL'),
    error: {
      name: 'MemoryLimitError',
      message: `the sandbox process running this function grew to ${rssMb} MB, over the ${capMb} MB a worker may hold; the run was stopped`,
    },
  };
}

/** The resident set of a process in MB, from /proc/<pid>/status (null once it is gone). */
async function residentMb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}
