/**
 * A sandbox worker process: started by the SandboxPool with an empty environment (no keys, database or
 * NATS credentials) and `--no-node-snapshot`; runs one job at a time and answers over IPC. If a hostile
 * run crashes it, the pool fails that run and starts a new worker.
 */
import { runInIsolate } from './isolate-runner';
import type { FromWorker, ToWorker } from './sandbox.types';

const send = (message: FromWorker) => process.send?.(message);

process.on('message', (message: ToWorker) => {
  if (message.type !== 'run') return;
  void runInIsolate(message.job).then((result) => send({ type: 'result', result: JSON.stringify(result) }));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
