import { FINAL_RUN_STATUSES, type FunctionRun, type RunLogs } from '@signalbox/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';

import { ErrorNotice, FunctionName, JsonBlock, Loading, StatusBadge, TriggerName } from '../components';
import { between, errorMessage, formatDuration, formatJson, formatTime } from '../format';
import { useClient } from '../session-context';

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
        {run.status === 'queued' && run.nextAttemptAt && (
          <span className="muted">next attempt at {formatTime(run.nextAttemptAt)}</span>
        )}
        <RetryAction run={run} />
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
      <h2>Result</h2>
      {run.status === 'completed' ? (
        <JsonBlock value={run.result} label="Result" />
      ) : (
        <p className="empty">No result{FINAL_RUN_STATUSES.includes(run.status) ? '' : ' yet'}.</p>
      )}
    </>
  );
}

function RetryAction({ run }: { run: FunctionRun }) {
  const client = useClient();
  const queries = useQueryClient();
  const retry = useMutation({
    mutationFn: () => client.runs.retry(run.jobId),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['run', client.workspace, run.jobId] }),
  });
  const retriable = run.status === 'failed' || run.status === 'timed_out';
  return (
    <span className="action">
      {retriable && (
        <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
          {retry.isPending ? 'Retrying…' : 'Retry'}
        </button>
      )}
      <span role="status" className="action-result">
        {retry.isSuccess && `Queued again: attempt ${retry.data.attempt}.`}
      </span>
      {retry.isError && (
        <span role="alert" className="field-error">
          Retry refused: {errorMessage(retry.error)}
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
