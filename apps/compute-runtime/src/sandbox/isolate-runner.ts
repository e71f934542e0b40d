import { jsonTextDepth, MAX_JSON_DEPTH } from '@signalbox/contracts';
import { type FetchInit, guardedFetch } from '@signalbox/net-guard';
import ivm from 'isolated-vm';

import type {
  SandboxError,
  SandboxLogEntry,
  SandboxResult,
  SandboxSpan,
  SandboxStep,
  WorkerJob,
} from './sandbox.types';

/**
 * The run record is bounded whatever the code does: the result and the steps' outputs each by
 * `maxResultBytes`, the logs by `maxLogLines`/`maxLogBytes`, and these.
 */
const MAX_STEPS = 1000;
const MAX_ERROR_MESSAGE_CHARS = 4096;
const MAX_ERROR_STACK_CHARS = 16_384;
/** `api.sleep` sleeps at most 30 days (the run's record must outlive it: see RunLifecycle). */
export const MAX_SLEEP_MS = 30 * 86_400_000;
const MAX_SLEEP_ID_CHARS = 256;
/**
 * Timed calls an attempt reports for its trace at most (the first ones; the attempt's span counts the rest): the
 * exporter's queue is shared by every run, and one run's thousand steps must not push the others' spans out. And a
 * step id's length in a span.
 */
export const MAX_SPANS = 100;
const MAX_SPAN_ID_CHARS = 256;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/**
 * Runs in the sandbox worker process. The isolate sees only copies: `executionParams`, `triggerParams`
 * (parsed inside it from the job's JSON text) and an `api` object whose functions reach the host through
 * references captured in a closure that the bootstrap removes from the global object before user code runs.
 */
const BOOTSTRAP = `
(() => {
  const hostLog = globalThis.__hostLog;
  const hostStep = globalThis.__hostStep;
  const hostCarry = globalThis.__hostCarry;
  const hostFetch = globalThis.__hostFetch;
  const hostSleep = globalThis.__hostSleep;
  // Taken now, before user code can replace them (the host checks what api.sleep sends anyway).
  const stringify = JSON.stringify;
  const ceil = Math.ceil;
  const input = JSON.parse(globalThis.__input);
  const memo = input.memoizedSteps || {};
  globalThis.executionParams = input.executionParams;
  globalThis.triggerParams = input.triggerParams;
  delete globalThis.__input;
  delete globalThis.__hostLog;
  delete globalThis.__hostStep;
  delete globalThis.__hostCarry;
  delete globalThis.__hostFetch;
  delete globalThis.__hostSleep;
  let sleeps = 0;
  // Memory the isolate's limit does not count: a WebAssembly memory, a resizable ArrayBuffer and a growable
  // SharedArrayBuffer are reserved and committed outside the heap the limit guards (a 16 MB function could
  // touch 512 MB). Functions get none of them; a fixed-length ArrayBuffer is counted and stays.
  delete globalThis.WebAssembly;
  delete globalThis.SharedArrayBuffer;
  const NativeArrayBuffer = ArrayBuffer;
  // The options argument (maxByteLength) never reaches the real constructor, so no getter can change it later.
  const FixedArrayBuffer = new Proxy(NativeArrayBuffer, {
    construct: (target, args, newTarget) => {
      if (args[1] !== null && typeof args[1] === 'object' && args[1].maxByteLength !== undefined)
        throw new TypeError('resizable ArrayBuffers are not available to functions (memoryMb would not count them)');
      return Reflect.construct(target, [args[0]], newTarget);
    },
  });
  delete NativeArrayBuffer.prototype.resize;
  Object.defineProperty(NativeArrayBuffer.prototype, 'constructor', { value: FixedArrayBuffer, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'ArrayBuffer', { value: FixedArrayBuffer, writable: true, configurable: true });
  const plain = (value) => { try { return JSON.parse(JSON.stringify(value === undefined ? null : value)); } catch { return String(value); } };
  const api = Object.freeze({
    log: (...args) => { hostLog.applyIgnored(undefined, [JSON.stringify(args.map(plain))]); },
    fetch: async (url, init) => {
      const request = JSON.stringify({ method: init && init.method, headers: init && init.headers, body: init && init.body });
      const answer = JSON.parse(await hostFetch.apply(undefined, [String(url), request], { result: { promise: true, copy: true } }));
      if (!answer.ok) throw new Error(answer.message);
      const response = answer.value;
      return Object.freeze({
        status: response.status, ok: response.ok, url: response.url, headers: response.headers,
        text: async () => response.body,
        json: async () => JSON.parse(response.body),
      });
    },
    step: async (id, fn) => {
      if (typeof id !== 'string' || typeof fn !== 'function') throw new TypeError('api.step(id, fn) needs a string id and a function');
      // Completed in an earlier attempt of this run: its recorded output, without running fn again.
      if (Object.prototype.hasOwnProperty.call(memo, id)) {
        const refused = hostCarry.applySync(undefined, [id]);
        if (refused) throw new RangeError(refused);
        return memo[id];
      }
      const started = Date.now();
      try {
        const output = await fn();
        const refused = hostStep.applySync(undefined, [JSON.stringify({ id, status: 'completed', output: plain(output), durationMs: Date.now() - started }), started]);
        if (refused) throw new RangeError(refused);
        return output;
      } catch (error) {
        hostStep.applySync(undefined, [JSON.stringify({ id, status: 'failed', error: String(error && error.message || error).slice(0, ${MAX_ERROR_MESSAGE_CHARS}), durationMs: Date.now() - started }), started]);
        throw error;
      }
    },
    // Durable sleep: api.sleep(ms) or api.sleep(id, ms). The run is suspended (its sandbox is let go) and runs again
    // from the top when it wakes, with this sleep, like every completed step, answered from its record at once.
    sleep: async (a, b) => {
      const [id, ms] = typeof a === 'string' ? [a, b] : ['sleep#' + (++sleeps), a];
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > ${MAX_SLEEP_MS})
        throw new RangeError('api.sleep(ms) takes 0 to ${MAX_SLEEP_MS} ms (30 days)');
      if (Object.prototype.hasOwnProperty.call(memo, id)) {
        const refused = hostCarry.applySync(undefined, [String(id)]);
        if (refused) throw new RangeError(refused);
        return;
      }
      const refused = hostSleep.applySync(undefined, [stringify({ id: String(id), ms: ceil(ms) })]);
      if (refused) throw new RangeError(refused);
      return new Promise(() => {}); // never resolves: the host ends this run now
    },
  });
  Object.defineProperty(globalThis, 'api', { value: api, enumerable: true });
})();
`;

const USER_FILENAME = 'function.js';

/**
 * Isolates are reused, contexts never: every run gets a fresh context (its own globals and built-ins) in
 * an idle isolate of the same workspace and memory limit, because creating an isolate costs more than the
 * rest of a trivial run. Workspaces never share an isolate. An isolate is dropped after a timeout or a
 * memory failure (it is disposed then anyway), after MAX_RUNS_PER_ISOLATE runs, when its heap is more
 * than half full after a run, and least-recently-used beyond MAX_IDLE_ISOLATES or beyond IDLE_HEAP_BUDGET
 * bytes of idle heaps (so what a worker legitimately keeps stays far under the pool's memory cap). A worker
 * runs one job at a time, so an isolate never has two runs at once.
 */
const MAX_IDLE_ISOLATES = 16;
const IDLE_HEAP_BUDGET = 128 * 1024 * 1024;
const MAX_RUNS_PER_ISOLATE = 500;

interface CachedIsolate {
  readonly key: string;
  readonly isolate: ivm.Isolate;
  readonly memoryMb: number;
  runs: number;
  /** Its heap when it went idle. */
  heapBytes: number;
}

const idle = new Map<string, CachedIsolate>();

function acquireIsolate(workspace: string, memoryMb: number): CachedIsolate {
  const key = `${workspace}\u0000${memoryMb}`;
  const cached = idle.get(key);
  if (cached) {
    idle.delete(key);
    if (!cached.isolate.isDisposed) return cached;
  }
  return { key, isolate: new ivm.Isolate({ memoryLimit: memoryMb }), memoryMb, runs: 0, heapBytes: 0 };
}

function releaseIsolate(entry: CachedIsolate, reusable: boolean): void {
  entry.runs++;
  const { isolate } = entry;
  if (isolate.isDisposed) return;
  const heap = isolate.getHeapStatisticsSync();
  const heapFull = heap.used_heap_size > (entry.memoryMb * 1024 * 1024) / 2;
  if (!reusable || entry.runs >= MAX_RUNS_PER_ISOLATE || heapFull) {
    isolate.dispose();
    return;
  }
  entry.heapBytes = heap.total_heap_size + heap.externally_allocated_size;
  idle.set(entry.key, entry);
  let idleBytes = 0;
  for (const cached of idle.values()) idleBytes += cached.heapBytes;
  for (const [key, oldest] of idle) {
    if (idle.size <= MAX_IDLE_ISOLATES && idleBytes <= IDLE_HEAP_BUDGET) break;
    idle.delete(key);
    idleBytes -= oldest.heapBytes;
    if (!oldest.isolate.isDisposed) oldest.isolate.dispose();
  }
}

export async function runInIsolate(job: WorkerJob): Promise<SandboxResult> {
  const started = Date.now();
  const logs: SandboxLogEntry[] = [];
  const steps: SandboxStep[] = [];
  const spans: SandboxSpan[] | undefined = job.traced ? [] : undefined;
  let spansDropped = 0;
  const timed = (span: SandboxSpan) => {
    if (spans && spans.length < MAX_SPANS) spans.push(span);
    else spansDropped++;
  };
  let logBytes = 0;
  let logsTruncated = false;
  const entry = acquireIsolate(job.workspace, Math.max(8, job.limits.memoryMb));
  const isolate = entry.isolate;
  const cpuAtStart = isolate.cpuTime;
  const cpuMs = () => Number((isolate.cpuTime - cpuAtStart) / 1_000_000n);
  let deadlineHit: 'wall' | 'cpu' | null = null;
  let context: ivm.Context | null = null;
  /** Set by api.sleep (in a callback, so held in an object the compiler does not narrow). */
  const sleep: { ms: number | null; id: string } = { ms: null, id: '' };
  let suspend: () => void = () => undefined;
  const suspended = new Promise<'suspended'>((resolve) => (suspend = () => resolve('suspended')));
  const finish = (
    partial: Pick<SandboxResult, 'status' | 'result' | 'error' | 'sleepMs' | 'sleepId'>,
  ): SandboxResult => ({
    runId: job.runId,
    ...partial,
    logs,
    logsTruncated,
    steps,
    durationMs: Date.now() - started,
    cpuTimeMs: isolate.isDisposed ? 0 : cpuMs(),
    ...(spans && { spans, ...(spansDropped > 0 && { spansDropped }) }),
  });

  const wallClock = setTimeout(() => {
    deadlineHit = 'wall';
    if (!isolate.isDisposed) isolate.dispose();
  }, job.limits.timeoutMs);
  const cpuWatch = setInterval(() => {
    if (!isolate.isDisposed && cpuMs() > job.limits.cpuTimeMs) {
      deadlineHit = 'cpu';
      isolate.dispose();
    }
  }, 20);

  try {
    // Setup uses the synchronous calls: each asynchronous one is a round trip through the thread pool,
    // and together they cost more than the isolate itself. Only the user's code runs asynchronously.
    context = isolate.createContextSync();
    const jail = context.global;
    jail.setSync('__input', job.input);
    jail.setSync(
      '__hostLog',
      new ivm.Reference((json: string) => {
        if (logsTruncated) return;
        logBytes += json.length;
        if (logs.length >= job.limits.maxLogLines || logBytes > job.limits.maxLogBytes) {
          logsTruncated = true;
          return;
        }
        // The arguments' array is one level: what is inside may nest MAX_JSON_DEPTH deep.
        const args =
          jsonTextDepth(json) > MAX_JSON_DEPTH + 1
            ? [`[a log line nested deeper than ${MAX_JSON_DEPTH} levels]`]
            : (JSON.parse(json) as unknown[]);
        logs.push({ at: new Date().toISOString(), level: 'info', args });
      }),
    );
    let stepBytes = 0;
    // The step began when the isolate says (its clock is this process's), kept within the run, and took what it
    // measured.
    const timeStep = (step: SandboxStep, startedAt: unknown) => {
      const now = Date.now();
      const startMs = typeof startedAt === 'number' ? Math.min(Math.max(started, startedAt), now) : now;
      const durationMs = Number.isFinite(step.durationMs) ? Math.max(0, step.durationMs) : 0;
      timed({
        name: 'api.step',
        startMs,
        endMs: Math.min(startMs + durationMs, now),
        attributes: { 'signalbox.step.id': ownCopy(String(step.id), MAX_SPAN_ID_CHARS) },
        failed: step.status !== 'completed',
      });
    };
    // Answers why a completed step is refused (its output would take the steps over their budget), or ''.
    const recordStep = (json: string, step = JSON.parse(json) as SandboxStep): string => {
      if (step.status !== 'completed') {
        // A failed step is rebuilt from its fields, bounded: what arrives is whatever the user's JSON.stringify made.
        if (steps.length >= MAX_STEPS) return '';
        const failed: SandboxStep = {
          id: ownCopy(String(step.id), MAX_ERROR_MESSAGE_CHARS),
          status: 'failed',
          error: ownCopy(String(step.error), MAX_ERROR_MESSAGE_CHARS),
          durationMs: Number.isFinite(step.durationMs) ? step.durationMs : 0,
        };
        stepBytes += JSON.stringify(failed).length;
        steps.push(failed);
        return '';
      }
      if (steps.length >= MAX_STEPS)
        return step.status === 'completed' ? `a run records at most ${MAX_STEPS} steps` : '';
      if (step.status === 'completed' && stepBytes + json.length > job.limits.maxResultBytes) {
        return `the output of step "${step.id.slice(0, 100)}" would take the steps' outputs over ${job.limits.maxResultBytes} bytes`;
      }
      if (step.status === 'completed' && jsonTextDepth(json) > MAX_JSON_DEPTH + 1) {
        return `the output of step "${step.id.slice(0, 100)}" is nested deeper than ${MAX_JSON_DEPTH} levels`;
      }
      stepBytes += json.length;
      steps.push(step);
      return '';
    };
    jail.setSync(
      '__hostStep',
      // `startedAt` (the isolate's clock) is for the trace only. A refused step is not timed: its failure follows.
      new ivm.Reference((json: string, startedAt: unknown): string => {
        const step = JSON.parse(json) as SandboxStep;
        const refused = recordStep(json, step);
        if (spans && !refused) timeStep(step, startedAt);
        return refused;
      }),
    );
    // A step memoized from an earlier attempt was accepted then: the host records it again from its own copy of the
    // memo (the isolate names it only, and cannot change what is recorded), not held to the budget a new step is, so
    // the record never drops it (its side effect would happen again on the next attempt). Twice the budget at most.
    const memo = job.memo ? (JSON.parse(job.memo) as Record<string, unknown>) : {};
    jail.setSync(
      '__hostCarry',
      new ivm.Reference((id: string): string => {
        if (typeof id !== 'string' || !Object.hasOwn(memo, id)) return 'no such memoized step';
        const json = JSON.stringify({
          id,
          status: 'completed',
          output: memo[id] ?? null,
          durationMs: 0,
          memoized: true,
        });
        if (steps.length >= 2 * MAX_STEPS || stepBytes + json.length > 2 * job.limits.maxResultBytes) {
          return `the memoized step "${id.slice(0, 100)}" no longer fits the run's steps`;
        }
        stepBytes += json.length;
        steps.push(JSON.parse(json) as SandboxStep);
        return '';
      }),
    );
    // api.sleep: recorded as a completed step (so the run, woken, passes it), then the run ends here, `sleeping`.
    jail.setSync(
      '__hostSleep',
      new ivm.Reference((json: string): string => {
        if (sleep.ms !== null) return 'api.sleep was called again before the first sleep began';
        // Checked here too: what the isolate sends is the user's to tamper with.
        const { id, ms } = JSON.parse(json) as { id: unknown; ms: unknown };
        if (typeof id !== 'string' || id.length === 0 || id.length > MAX_SLEEP_ID_CHARS) {
          return `api.sleep(id, ms) takes an id of 1 to ${MAX_SLEEP_ID_CHARS} characters`;
        }
        if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
          return `api.sleep(ms) takes 0 to ${MAX_SLEEP_MS} ms (30 days)`;
        }
        const refused = recordStep(JSON.stringify({ id, status: 'completed', output: null, durationMs: ms }));
        if (refused) return refused;
        sleep.ms = ms;
        sleep.id = id;
        suspend();
        return '';
      }),
    );
    let fetches = 0;
    jail.setSync(
      '__hostFetch',
      // Never rejects: a rejected host promise that the isolate stops waiting for (it was disposed)
      // would be an unhandled rejection and kill the worker. Failures travel as {ok: false, message}.
      new ivm.Reference(async (url: string, init: string): Promise<string> => {
        if (++fetches > job.limits.maxFetches) {
          return JSON.stringify({
            ok: false,
            message: `api.fetch may be called at most ${job.limits.maxFetches} times per run`,
          });
        }
        const startMs = Date.now();
        let request: FetchInit = {};
        try {
          request = JSON.parse(init) as FetchInit; // what the isolate sent: user code can make it anything
          const value = await guardedFetch(url, request, job.fetch);
          if (spans) timed(fetchSpan(url, request, startMs, value.status));
          return JSON.stringify({ ok: true, value });
        } catch (error) {
          if (spans) timed(fetchSpan(url, request, startMs, null));
          return JSON.stringify({ ok: false, message: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    context.evalSync(BOOTSTRAP, { timeout: 1000 });

    const script = isolate.compileScriptSync(
      `${job.code}\n;(async () => { if (typeof run !== 'function') throw new TypeError('the code must define async function run()'); const value = await run(); return value === undefined ? 'null' : JSON.stringify(value); })()`,
      { filename: USER_FILENAME },
    );
    const running = script.run(context, { timeout: job.limits.timeoutMs, promise: true, copy: true }) as Promise<
      string | undefined
    >;
    running.catch(() => undefined); // a sleeping run's script is left pending, then its isolate disposed
    const output = await Promise.race([running, suspended]);
    if (output === 'suspended') {
      // Whatever the function still does (it did not await the sleep) stops here.
      const result = finish({ status: 'sleeping', sleepMs: sleep.ms ?? 0, sleepId: sleep.id });
      isolate.dispose();
      return result;
    }
    const size = Buffer.byteLength(output ?? '', 'utf8');
    if (size > job.limits.maxResultBytes) {
      return finish({
        status: 'failed',
        error: {
          name: 'ResultTooLarge',
          message: `the result is ${size} bytes; the limit is ${job.limits.maxResultBytes}`,
        },
      });
    }
    if (output !== undefined && jsonTextDepth(output) > MAX_JSON_DEPTH) {
      return finish({
        status: 'failed',
        error: { name: 'ResultTooDeep', message: `the result is nested deeper than ${MAX_JSON_DEPTH} levels` },
      });
    }
    return finish({ status: 'completed', result: output === undefined ? null : (JSON.parse(output) as unknown) });
  } catch (error) {
    return finish(describeFailure(error, deadlineHit, job, isolate));
  } finally {
    clearTimeout(wallClock);
    clearInterval(cpuWatch);
    if (context && !isolate.isDisposed) context.release();
    // A deadline or memory failure disposed the isolate already; anything else leaves it reusable, but a sleeping
    // run's, whose script is still pending: it goes.
    releaseIsolate(entry, deadlineHit === null && sleep.ms === null);
  }
}

/**
 * The first `max` characters as a string of their own: V8's `slice` of a long string keeps all of it alive, and what
 * the isolate sends may be megabytes.
 */
function ownCopy(text: string, max: number): string {
  return text.length <= max ? text : Buffer.from(text.slice(0, max), 'utf8').toString('utf8');
}

/** An `api.fetch` call for the run's trace: its method, host and status, never its path or query. */
function fetchSpan(rawUrl: string, init: FetchInit, startMs: number, status: number | null): SandboxSpan {
  let host = '';
  let scheme = '';
  try {
    const url = new URL(rawUrl);
    host = url.hostname;
    scheme = url.protocol.replace(/:$/, '');
  } catch {
    // not a URL: guardedFetch refused it
  }
  // Semantic conventions: a method outside the known set is `_OTHER` (and the user's text stays out of the span).
  const given = typeof init?.method === 'string' ? init.method.toUpperCase() : 'GET';
  const method = HTTP_METHODS.has(given) ? given : '_OTHER';
  return {
    name: 'api.fetch',
    startMs,
    endMs: Date.now(),
    attributes: {
      'http.request.method': method,
      'server.address': host.slice(0, MAX_SPAN_ID_CHARS),
      'url.scheme': scheme.slice(0, 16),
      ...(status !== null && { 'http.response.status_code': status }),
    },
    failed: status === null || status >= 400,
  };
}

function describeFailure(
  error: unknown,
  deadline: 'wall' | 'cpu' | null,
  job: WorkerJob,
  isolate: ivm.Isolate,
): Pick<SandboxResult, 'status' | 'error'> {
  const message = error instanceof Error ? error.message : String(error);
  if (deadline === 'wall' || /Script execution timed out/.test(message)) {
    return {
      status: 'timed_out',
      error: { name: 'TimeoutError', message: `the run exceeded its ${job.limits.timeoutMs} ms limit` },
    };
  }
  if (deadline === 'cpu') {
    return {
      status: 'timed_out',
      error: { name: 'TimeoutError', message: `the run exceeded its ${job.limits.cpuTimeMs} ms CPU limit` },
    };
  }
  if (/memory limit/i.test(message) || (isolate.isDisposed && /disposed/i.test(message))) {
    return {
      status: 'failed',
      error: { name: 'MemoryLimitError', message: `the run exceeded its ${job.limits.memoryMb} MB memory limit` },
    };
  }
  const name = (error instanceof Error ? error.name : 'Error').slice(0, 200);
  return {
    status: 'failed',
    error: { name, message: message.slice(0, MAX_ERROR_MESSAGE_CHARS), ...userStack(error) } satisfies SandboxError,
  };
}

/** Only the frames inside the user's code: no host paths reach the run record. */
function userStack(error: unknown): { stack?: string } {
  const stack = error instanceof Error ? error.stack : undefined;
  if (!stack) return {};
  const lines = stack.split('\n').filter((line, index) => index === 0 || line.includes(USER_FILENAME));
  return { stack: lines.join('\n').slice(0, MAX_ERROR_STACK_CHARS) };
}
