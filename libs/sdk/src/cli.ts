/// <reference types="node" />
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';

import { describeWaiting, type FunctionRun, type RunSummary, Signalbox } from './client.js';
import { SignalboxError } from './errors.js';

const USAGE = `signalbox: Signalbox from the command line

Usage:
  signalbox functions deploy <file.js...>      create or update one function per file, named after the file
  signalbox functions run <function> [--data JSON] [--wait]   run it through its default trigger
  signalbox triggers execute <trigger> [--data JSON] [--wait]
  signalbox runs get <jobId>
  signalbox runs cancel <jobId>
  signalbox runs bulk <cancel|retry> [--status S] [--trigger ID] [--function ID]
  signalbox runs list [--status S] [--trigger ID] [--function ID] [--limit N]
  signalbox runs tail [--trigger ID] [--function ID]   every change of a run, live, until Ctrl-C
  signalbox events publish --record-slug S --event E --record-id ID [--data JSON] [--event-id ID]

<function> and <trigger> are an id or a name.
Options (or environment):
  --url URL            data-service (SIGNALBOX_URL, default http://127.0.0.1:3000)
  --workspace SLUG     (SIGNALBOX_WORKSPACE)
  --token JWT          (SIGNALBOX_TOKEN), or
  --api-key KEY        (SIGNALBOX_API_KEY)
  --json               print JSON (for scripts)
Exit codes: 0 done, 1 the platform refused or failed (its error is printed), 2 wrong usage.`;

class UsageError extends Error {}

const options = {
  url: { type: 'string' },
  workspace: { type: 'string' },
  token: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  data: { type: 'string' },
  wait: { type: 'boolean', default: false },
  status: { type: 'string' },
  trigger: { type: 'string' },
  function: { type: 'string' },
  limit: { type: 'string' },
  'record-slug': { type: 'string' },
  event: { type: 'string' },
  'record-id': { type: 'string' },
  'event-id': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<void> {
  const { values: flags, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const [group, command, ...rest] = positionals;
  if (flags.help || !group) {
    console.log(USAGE);
    return;
  }
  const client = connect(flags);
  const out = (json: unknown, text: string) => console.log(flags.json ? JSON.stringify(json, null, 2) : text);

  switch (`${group} ${command ?? ''}`) {
    case 'functions deploy': {
      if (rest.length === 0) throw new UsageError('functions deploy needs at least one file');
      // Each file's outcome as it is known, so a failure further on leaves no doubt about what was deployed.
      const results = [];
      for (const file of rest) {
        const result = await deploy(client, file);
        results.push(result);
        if (!flags.json)
          console.log(`${result.outcome.padEnd(9)} ${result.name} (${result.id}, version ${result.version})`);
      }
      if (flags.json) console.log(JSON.stringify(results, null, 2));
      return;
    }
    case 'functions run': {
      const fn = await findFunction(client, required(rest[0], 'the function'));
      return execute(client, fn.defaultTriggerId, flags, out);
    }
    case 'triggers execute':
      return execute(client, await findTrigger(client, required(rest[0], 'the trigger')), flags, out);
    case 'runs get': {
      const run = await client.runs.get(required(rest[0], 'the jobId'));
      return out(run, describe(run));
    }
    case 'runs cancel': {
      const cancelled = await client.runs.cancel(required(rest[0], 'the jobId'));
      return out(cancelled, `${cancelled.jobId}  ${cancelled.status}`);
    }
    case 'runs bulk': {
      const action = required(rest[0], 'cancel or retry');
      if (action !== 'cancel' && action !== 'retry') throw new UsageError('runs bulk takes cancel or retry');
      const job = await client.runs.bulk({ action, filter: runFilter(flags) });
      return out(job, `bulk ${job.action} ${job.id}: ${job.total} runs matched (${job.status})`);
    }
    case 'runs list': {
      const limit = Number(flags.limit ?? 20);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
      const runs: RunSummary[] = [];
      for await (const run of client.runs.list({ ...runFilter(flags), limit: Math.min(limit, 500) })) {
        runs.push(run);
        if (runs.length >= limit) break;
      }
      return out(runs, runs.map(summary).join('\n') || 'no runs');
    }
    case 'runs tail':
      return tail(client, flags);
    case 'events publish': {
      const answer = await client.events.publish({
        event: required(flags.event, '--event') as never,
        recordSlug: required(flags['record-slug'], '--record-slug'),
        recordId: required(flags['record-id'], '--record-id'),
        data: json(flags.data, '--data') ?? {},
        ...(flags['event-id'] ? { eventId: flags['event-id'] } : {}),
      });
      return out(answer, JSON.stringify(answer));
    }
    default:
      throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  }
}

function connect(flags: Flags): Signalbox {
  const env = process.env;
  const workspace = flags.workspace ?? env['SIGNALBOX_WORKSPACE'];
  const token = flags.token ?? env['SIGNALBOX_TOKEN'];
  const apiKey = flags['api-key'] ?? env['SIGNALBOX_API_KEY'];
  if (!workspace) throw new UsageError('no workspace: --workspace or SIGNALBOX_WORKSPACE');
  if (!token && !apiKey)
    throw new UsageError('no credentials: --token, --api-key, SIGNALBOX_TOKEN or SIGNALBOX_API_KEY');
  return new Signalbox({
    baseUrl: flags.url ?? env['SIGNALBOX_URL'] ?? 'http://127.0.0.1:3000',
    workspace,
    ...(token ? { token } : { apiKey: apiKey }),
  });
}

/** Creates the function named after the file, or updates its code; the same code again changes nothing. */
async function deploy(client: Signalbox, file: string) {
  const name = basename(file, extname(file));
  const code = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const existing = await client.functions.findByName(name);
  const result = !existing
    ? { outcome: 'created', fn: await client.functions.create({ name, code }) }
    : existing.code === code
      ? { outcome: 'unchanged', fn: existing }
      : { outcome: 'updated', fn: await client.functions.update(existing.id, { code }) };
  return { outcome: result.outcome, name, id: result.fn.id, version: result.fn.version };
}

/** Starts a run; with --wait, prints it once final and exits 1 unless it completed. */
async function execute(client: Signalbox, triggerId: string, flags: Flags, out: (json: unknown, text: string) => void) {
  const { jobId } = await client.triggers.execute(triggerId, json(flags.data, '--data') ?? {});
  if (!flags.wait) return out({ jobId }, jobId);
  const run = await client.runs.waitFor(jobId, { timeoutMs: 300_000 });
  out(run, describe(run));
  if (run.status !== 'completed') process.exitCode = 1;
}

const notFound = (message: string) => new SignalboxError({ status: 404, code: 'NOT_FOUND', message });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findFunction(client: Signalbox, idOrName: string) {
  const fn = UUID.test(idOrName) ? await client.functions.get(idOrName) : await client.functions.findByName(idOrName);
  if (!fn) throw notFound(`no function named "${idOrName}" in ${client.workspace}`);
  return fn;
}

async function findTrigger(client: Signalbox, idOrName: string): Promise<string> {
  if (UUID.test(idOrName)) return idOrName;
  const trigger = await client.triggers.findByName(idOrName);
  if (!trigger) throw notFound(`no trigger named "${idOrName}" in ${client.workspace}`);
  return trigger.id;
}

function runFilter(flags: Flags) {
  return {
    ...(flags.status ? { status: flags.status as RunSummary['status'] } : {}),
    ...(flags.trigger ? { triggerId: flags.trigger } : {}),
    ...(flags.function ? { functionId: flags.function } : {}),
  };
}

/** Follows the workspace's live stream and prints each change of a run (of --trigger or --function), until Ctrl-C. */
async function tail(client: Signalbox, flags: Flags): Promise<void> {
  const events = await client.live.open({ topics: ['run'] });
  for await (const event of events) {
    if (event.type !== 'run') continue;
    if (flags.trigger && event.triggerId !== flags.trigger) continue;
    if (flags.function && event.functionId !== flags.function) continue;
    const retry = event.nextAttemptAt ? `  retry at ${event.nextAttemptAt}` : '';
    console.log(
      flags.json
        ? JSON.stringify(event)
        : `${event.at}  ${event.jobId}  ${event.status.padEnd(9)} attempt ${event.attempt}${retry}`,
    );
  }
  throw new SignalboxError({ status: 0, code: 'NETWORK_ERROR', message: 'the live stream ended' });
}

const summary = (run: RunSummary) =>
  `${run.queuedAt}  ${run.jobId}  ${run.status.padEnd(9)} ${run.durationMs ?? '-'} ms${run.error ? `  ${run.error.name}: ${run.error.message}` : ''}`;

function describe(run: FunctionRun): string {
  const lines = [`${run.jobId}  ${run.status}  attempt ${run.attempt}  ${run.durationMs ?? '-'} ms`];
  if (run.waitingFor) lines.push(describeWaiting(run.waitingFor));
  if (run.error) lines.push(`${run.error.name}: ${run.error.message}`);
  if (run.result !== null && run.result !== undefined) lines.push(JSON.stringify(run.result, null, 2));
  return lines.join('\n');
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

function json(text: string | undefined, flag: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new UsageError(`${flag} must be a JSON object`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.exitCode = 1;
  if (
    error instanceof UsageError ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    console.error(`signalbox: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof SignalboxError && process.argv.includes('--json')) {
    const { status, code, message, details, errorId } = error;
    console.error(JSON.stringify({ status, code, message, details, errorId }));
  } else if (error instanceof SignalboxError) {
    console.error(`signalbox: ${error.code}${error.status ? ` (${error.status})` : ''}: ${error.message}`);
    for (const detail of error.details) console.error(`  ${detail.path.join('.') || '(body)'}: ${detail.message}`);
    if (error.errorId) console.error(`  error id (for the operator): ${error.errorId}`);
  } else {
    console.error(`signalbox: ${error instanceof Error ? error.message : String(error)}`);
  }
});
