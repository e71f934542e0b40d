import { describeWaiting, FINAL_RUN_STATUSES, type FunctionRun, type RunLogs } from '@signalbox/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { ErrorNotice, FunctionName, JsonBlock, Loading, StatusBadge, TriggerName } from '../components';
import { between, errorMessage, formatDuration, formatJson, formatTime } from '../format';
import { useClient } from '../session-context';
import { fieldError, FormError } from '../widgets/api-errors';
import { JsonField, parseJson } from '../widgets/json-field';

export function RunDetailPage() {
  const { jobId = '' } = useParams();
  const client = useClient();
  const run = useQuery({
    queryKey: ['run', client.workspace, jobId],
    queryFn: () => client.runs.get(jobId),
  });

  return (
    <section aria-labelledby="run-heading">
      <p className="crumbs">
        <Link to="/runs">← All runs</Link>
      </p>
      <h1 id="run-heading">
        Run <span className="mono">{jobId}</span>
      </h1>
      {run.isPending ? (
        <Loading what="the run" />
      ) : run.isError ? (
        <ErrorNotice error={run.error} what="the run" retry={() => void run.refetch()} />
      ) : (
        <RunBody run={run.data} />
      )}
    </section>
  );
}

function RunBody({ run }: { run: FunctionRun }) {
  return (
    <>
      <div className="status-line">
        <StatusBadge status={run.status} />
        <span>attempt {run.attempt}</span>
        {run.waitingFor ? (
          <span className="muted" data-testid="waiting-for">
            {describeWaiting({ ...run.waitingFor, until: run.waitingFor.until && formatTime(run.waitingFor.until) })}
          </span>
        ) : (
          run.status === 'queued' &&
          run.nextAttemptAt && <span className="muted">next attempt at {formatTime(run.nextAttemptAt)}</span>
        )}
        <RetryAction run={run} />
        <CancelAction run={run} />
      </div>

      <h2>Summary</h2>
      <dl className="facts">
        <dt>Queued</dt>
        <dd>{formatTime(run.queuedAt)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(run.finishedAt)}</dd>
        <dt>Queue delay</dt>
        <dd>{formatDuration(between(run.queuedAt, run.startedAt))}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.durationMs)}</dd>
        <dt>Function</dt>
        <dd>
          <FunctionName id={run.functionId} version={run.functionVersion} />
        </dd>
        <dt>Trigger</dt>
        <dd>
          <TriggerName id={run.triggerId} />
        </dd>
        <dt>Requested by</dt>
        <dd>{run.requestedBy}</dd>
        <dt>Trace</dt>
        <dd>
          <TraceId traceId={run.traceId} />
        </dd>
      </dl>

      {run.error && (
        <>
          <h2>Error</h2>
          <div className="run-error">
            <p>
              <strong>{run.error.name}</strong>: {run.error.message}
            </p>
            {run.error.stack && (
              <pre className="stack" tabIndex={0} aria-label="Stack trace">
                {run.error.stack}
              </pre>
            )}
          </div>
        </>
      )}

      <h2>Attempts</h2>
      {run.attempts.length === 0 ? (
        <p className="empty">No attempt has finished yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Attempts of this run</caption>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {run.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <td>{attempt.attempt}</td>
                  <td>{attempt.status}</td>
                  <td>{formatTime(attempt.startedAt)}</td>
                  <td>{formatTime(attempt.finishedAt)}</td>
                  <td>{formatDuration(attempt.durationMs)}</td>
                  <td>{attempt.error ? `${attempt.error.name}: ${attempt.error.message}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Steps</h2>
      {run.steps.length === 0 ? (
        <p className="empty">This run recorded no steps (api.step).</p>
      ) : (
        <ol className="steps">
          {run.steps.map((step, index) => (
            <li key={`${step.id}-${index}`} className={`step step-${step.status}`}>
              <div className="step-head">
                <span className="mono step-id">{step.id}</span>
                <span>{step.status}</span>
                <span className="muted">{formatDuration(step.durationMs)}</span>
                {step.memoized && (
                  <span className="badge badge-memoized" title="Output recorded by an earlier attempt">
                    memoized
                  </span>
                )}
              </div>
              {step.error ? (
                <p className="step-error">{step.error}</p>
              ) : (
                'output' in step && <JsonBlock value={step.output} label={`Output of step ${step.id}`} />
              )}
            </li>
          ))}
        </ol>
      )}

      <RunLogsSection jobId={run.jobId} final={FINAL_RUN_STATUSES.includes(run.status)} />

      <h2>Input</h2>
      <JsonBlock value={run.executionParams} label="Input (executionParams)" />
      <RerunSection key={run.jobId} run={run} />
      <h2>Result</h2>
      {run.status === 'completed' ? (
        <JsonBlock value={run.result} label="Result" />
      ) : (
        <p className="empty">No result{FINAL_RUN_STATUSES.includes(run.status) ? '' : ' yet'}.</p>
      )}
    </>
  );
}

/**
 * The operator's trace viewer link for a trace id: data-service writes its `CONSOLE_TRACE_URL` (`{traceId}` in it)
 * into the page. Null when it is not set.
 */
function traceLink(traceId: string): string | null {
  const template = document.querySelector<HTMLMetaElement>('meta[name="signalbox-trace-url"]')?.content ?? '';
  if (!/^https?:\/\//.test(template) || !template.includes('{traceId}')) return null;
  return template.replaceAll('{traceId}', encodeURIComponent(traceId));
}

/** The run's trace id, a link to the operator's trace viewer when one is set; "not traced" when it has none. */
function TraceId({ traceId }: { traceId: string | null }) {
  if (!traceId) return <span className="muted">not traced</span>;
  const href = traceLink(traceId);
  return href ? (
    <a className="mono" href={href} target="_blank" rel="noreferrer">
      {traceId}
    </a>
  ) : (
    <span className="mono">{traceId}</span>
  );
}

/**
 * A failed, timed-out or cancelled run can be retried: a new attempt that reuses the steps its attempts recorded. Not
 * one a debounce replaced (its input is stale; the API refuses it too).
 */
function RetryAction({ run }: { run: FunctionRun }) {
  const client = useClient();
  const retryable =
    run.status === 'failed' ||
    run.status === 'timed_out' ||
    (run.status === 'cancelled' && run.error?.name !== 'Debounced');
  return (
    <RunAction
      run={run}
      shown={retryable}
      labels={{ idle: 'Retry', pending: 'Retrying…', refused: 'Retry refused' }}
      act={() => client.runs.retry(run.jobId)}
      said={(reply) => `Queued again: attempt ${reply.attempt}.`}
    />
  );
}

/** A queued or running run can be cancelled: it never starts, or it is stopped in its sandbox. */
function CancelAction({ run }: { run: FunctionRun }) {
  const client = useClient();
  return (
    <RunAction
      run={run}
      shown={run.status === 'queued' || run.status === 'running' || run.status === 'sleeping'}
      labels={{ idle: 'Cancel run', pending: 'Cancelling…', refused: 'Cancel refused' }}
      act={() => client.runs.cancel(run.jobId)}
      said={() => 'Cancelled.'}
    />
  );
}

/** A button that acts on the run, says what came of it, and reads the run again. */
function RunAction<Reply>({
  run,
  shown,
  labels,
  act,
  said,
}: {
  run: FunctionRun;
  shown: boolean;
  labels: { idle: string; pending: string; refused: string };
  act: () => Promise<Reply>;
  said: (reply: Reply) => string;
}) {
  const client = useClient();
  const queries = useQueryClient();
  const action = useMutation({
    mutationFn: act,
    onSuccess: () => queries.invalidateQueries({ queryKey: ['run', client.workspace, run.jobId] }),
  });
  return (
    <span className="action">
      {shown && (
        <button type="button" onClick={() => action.mutate()} disabled={action.isPending}>
          {action.isPending ? labels.pending : labels.idle}
        </button>
      )}
      <span role="status" className="action-result">
        {action.isSuccess && said(action.data)}
      </span>
      {action.isError && (
        <span role="alert" className="field-error">
          {labels.refused}: {errorMessage(action.error)}
        </span>
      )}
    </span>
  );
}

function RunLogsSection({ jobId, final }: { jobId: string; final: boolean }) {
  const client = useClient();
  const logs = useQuery({
    queryKey: ['logs', client.workspace, jobId],
    queryFn: () => client.runs.logs(jobId),
  });
  return (
    <>
      <h2>Logs</h2>
      {logs.isPending ? (
        <Loading what="the logs" />
      ) : logs.isError ? (
        <ErrorNotice error={logs.error} what="the logs" retry={() => void logs.refetch()} />
      ) : logs.data.logs.length === 0 ? (
        <p className="empty">{final ? 'This run logged nothing.' : 'Nothing logged yet.'}</p>
      ) : (
        <LogLines logs={logs.data} />
      )}
    </>
  );
}

function LogLines({ logs }: { logs: RunLogs }) {
  return (
    <>
      <ol className="logs" aria-label="Log lines">
        {logs.logs.map((line, index) => (
          <li key={index} className={`log log-${line.level}`}>
            <time dateTime={line.at} className="muted">
              {formatTime(line.at)}
            </time>{' '}
            <span className="log-level">{line.level}</span>{' '}
            <span className="log-text">
              {line.args.map((arg) => (typeof arg === 'string' ? arg : formatJson(arg))).join(' ')}
            </span>
          </li>
        ))}
      </ol>
      {logs.truncated && <p className="muted">The logs were cut at the platform's limit.</p>}
    </>
  );
}

/**
 * A new run with an edited input: on the run's own trigger when it is on-demand, else on the function's default
 * on-demand trigger (the only kinds a caller may execute), which the section names before anything is sent.
 */
function RerunSection({ run }: { run: FunctionRun }) {
  const client = useClient();
  const navigate = useNavigate();
  const [text, setText] = useState(() => formatJson(run.executionParams));
  const [parseError, setParseError] = useState<string | null>(null);
  const trigger = useQuery({
    queryKey: ['trigger', client.workspace, run.triggerId],
    queryFn: () => client.triggers.get(run.triggerId),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const fn = useQuery({
    queryKey: ['function', client.workspace, run.functionId],
    queryFn: () => client.functions.get(run.functionId),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const target =
    trigger.data?.executionType === 'on-demand' ? trigger.data.id : (fn.data?.defaultTriggerId ?? undefined);
  const rerun = useMutation({
    mutationFn: (input: Record<string, unknown>) => client.triggers.execute(target!, input),
    onSuccess: (answer) => void navigate(`/runs/${answer.jobId}`),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseJson(text);
    if (!parsed.ok) return setParseError(`Not JSON: ${parsed.message}`);
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return setParseError('The input must be a JSON object.');
    }
    setParseError(null);
    rerun.mutate(parsed.value as Record<string, unknown>);
  };
  return (
    <details className="rerun">
      <summary>Re-run with an edited input</summary>
      {trigger.isPending || fn.isPending ? (
        <Loading what="the trigger" />
      ) : !target ? (
        <p className="empty">
          This run&apos;s trigger is not on-demand and its function has no default on-demand trigger to run it on.
        </p>
      ) : (
        <form onSubmit={submit}>
          <p className="muted">
            {target === run.triggerId
              ? 'A new run of the same on-demand trigger, with this input.'
              : `Its trigger is ${trigger.data?.executionType ?? 'gone'}: the new run goes through the function's default on-demand trigger, with this input as executionParams.`}
          </p>
          <JsonField
            label="Input for the new run"
            value={text}
            onChange={setText}
            error={parseError ?? fieldError(rerun.error, 'executionParams') ?? fieldError(rerun.error)}
          />
          <button type="submit" disabled={rerun.isPending}>
            {rerun.isPending ? 'Starting…' : 'Run again with this input'}
          </button>
          {!fieldError(rerun.error) && <FormError error={rerun.error} what="Not started" />}
        </form>
      )}
    </details>
  );
}
