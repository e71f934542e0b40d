import { type FunctionTrigger, SignalboxError } from '@signalbox/sdk';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice, JsonBlock, Loading, RunLink } from '../../components';
import { errorMessage, formatTime } from '../../format';
import { useClient } from '../../session-context';
import { FormError } from '../../widgets/api-errors';
import { CopyButton } from '../../widgets/copy-button';
import { JsonField, parseJson } from '../../widgets/json-field';
import { gatewayOrigin, rememberGatewayOrigin } from './trigger-api';

/** What only this execution type has: its URL, its schedule, its poll cursor, or an execute form. */
export function TypeSections({ trigger }: { trigger: FunctionTrigger }) {
  switch (trigger.executionType) {
    case 'on-demand':
      return <ExecuteSection trigger={trigger} />;
    case 'webhook':
      return (
        <>
          <UrlSection trigger={trigger} path={trigger.triggerMetadata.path} />
          <TestSamplesSection trigger={trigger} />
        </>
      );
    case 'endpoint':
      return <UrlSection trigger={trigger} path={trigger.triggerMetadata.path} />;
    case 'scheduled':
      return <ScheduleSection trigger={trigger} />;
    case 'polling':
      return <PollSection trigger={trigger} />;
    case 'event-driven':
      return (
        <p className="muted">
          Runs on each <code>{trigger.triggerMetadata.event}</code> event of records{' '}
          <code>{trigger.triggerMetadata.recordSlug}</code>.
        </p>
      );
  }
}

function ExecuteSection({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const [body, setBody] = useState('{}');
  const [parseError, setParseError] = useState<string | null>(null);
  const execute = useMutation({
    mutationFn: (data: Record<string, unknown>) => client.triggers.execute(trigger.id, data),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseJson(body);
    if (!parsed.ok) return setParseError(`Not JSON: ${parsed.message}`);
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return setParseError('The input must be a JSON object.');
    }
    setParseError(null);
    execute.mutate(parsed.value as Record<string, unknown>);
  };
  // A 400 is about the input (its inputSchema); anything else (disabled, unavailable) is about the request.
  const inputError = execute.error instanceof SignalboxError && execute.error.status === 400;
  return (
    <section aria-labelledby="execute-heading">
      <h2 id="execute-heading">Execute</h2>
      <form className="panel trigger-form" onSubmit={submit} noValidate aria-labelledby="execute-heading">
        <JsonField
          label="Input (executionParams)"
          value={body}
          onChange={setBody}
          error={parseError ?? (inputError ? errorMessage(execute.error) : null)}
        />
        <div className="form-actions">
          <button type="submit" disabled={execute.isPending || !trigger.enabled}>
            {execute.isPending ? 'Executing…' : 'Execute'}
          </button>
          {!trigger.enabled && <span className="muted">Enable the trigger to execute it.</span>}
          <span role="status">
            {execute.isSuccess && (
              <>
                Queued: run <RunLink jobId={execute.data.jobId} />{' '}
                <Link to={`/runs/${execute.data.jobId}`}>Open the run</Link>
              </>
            )}
          </span>
        </div>
        <FormError error={inputError ? null : execute.error} what="Not executed" />
      </form>
    </section>
  );
}

function UrlSection({ trigger, path }: { trigger: FunctionTrigger; path: string }) {
  const client = useClient();
  const [origin, setOrigin] = useState(gatewayOrigin);
  const base = `${origin.replace(/\/+$/, '')}/workspace/${client.workspace}/api/v1`;
  const urls =
    trigger.executionType === 'endpoint'
      ? [
          {
            label: `${(trigger.triggerMetadata as { method?: string }).method ?? 'POST'} endpoint URL`,
            url: `${base}/endpoints${path}`,
          },
        ]
      : [
          { label: 'Webhook URL (by path)', url: `${base}/webhook${path}` },
          { label: 'Webhook URL (by id)', url: `${base}/webhook/by-id/${trigger.id}` },
        ];
  return (
    <section aria-labelledby="url-heading">
      <h2 id="url-heading">URL to call</h2>
      <ul className="trigger-urls">
        {urls.map(({ label, url }) => (
          <li key={label}>
            <span className="muted">{label}</span>
            <code className="trigger-url">{url}</code>
            <CopyButton text={url} label={`Copy the ${label}`} />
          </li>
        ))}
      </ul>
      <div className="field inline-field">
        <label htmlFor="gateway-origin">Webhook gateway origin</label>
        <input
          id="gateway-origin"
          type="url"
          value={origin}
          size={36}
          onChange={(event) => {
            setOrigin(event.target.value);
            rememberGatewayOrigin(event.target.value);
          }}
          aria-describedby="gateway-origin-hint"
        />
        <p id="gateway-origin-hint" className="muted">
          The API does not say where webhook-gateway is published; the console guesses this host on port 3001. Type its
          public origin here (this browser remembers it).
        </p>
      </div>
    </section>
  );
}

function TestSamplesSection({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const samples = useQuery({
    queryKey: ['trigger-state', client.workspace, trigger.id, 'test-samples'],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/test-samples', {
          params: { path: { workspace: client.workspace, id: trigger.id } },
          signal,
        }),
      ),
  });
  return (
    <section aria-labelledby="samples-heading">
      <div className="section-head">
        <h2 id="samples-heading">Test samples</h2>
        <button type="button" className="secondary" onClick={() => void samples.refetch()}>
          Refresh samples
        </button>
      </div>
      {samples.isPending ? (
        <Loading what="the test samples" />
      ) : samples.isError ? (
        <ErrorNotice error={samples.error} what="the test samples" retry={() => void samples.refetch()} />
      ) : samples.data.samples.length === 0 ? (
        <p className="empty">No requests received yet: the latest 20 appear here, credentials removed.</p>
      ) : (
        <ol className="samples">
          {samples.data.samples.map((sample, index) => (
            <li key={`${sample.receivedAt}-${index}`} className="panel">
              <p>
                <strong>
                  {sample.method} {sample.path}
                </strong>{' '}
                <span className="muted">{formatTime(sample.receivedAt)}</span> {sample.outcome}
                {sample.jobId && (
                  <>
                    {' '}
                    run <RunLink jobId={sample.jobId} />
                  </>
                )}
                {sample.bodyTruncated && <span className="muted"> (body cut at 64 KB)</span>}
              </p>
              <JsonBlock
                value={{
                  headers: sample.headers,
                  query: sample.query,
                  body: readBody(sample.body, sample.bodyEncoding),
                }}
                label={`Request ${index + 1}: ${sample.method} ${sample.path}`}
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function readBody(body: string, encoding: 'utf8' | 'base64'): unknown {
  if (encoding !== 'utf8') return `(base64) ${body}`;
  const parsed = parseJson(body);
  return parsed.ok ? parsed.value : body;
}

function ScheduleSection({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const schedule = useQuery({
    queryKey: ['trigger-state', client.workspace, trigger.id, 'schedule'],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/schedule', {
          params: { path: { workspace: client.workspace, id: trigger.id } },
          signal,
        }),
      ),
    refetchInterval: 30_000,
  });
  return (
    <section aria-labelledby="schedule-heading">
      <h2 id="schedule-heading">Schedule</h2>
      {schedule.isPending ? (
        <Loading what="the schedule" />
      ) : schedule.isError ? (
        <ErrorNotice error={schedule.error} what="the schedule" retry={() => void schedule.refetch()} />
      ) : (
        <>
          <dl className="facts">
            <dt>Fires</dt>
            <dd>
              {schedule.data.cron
                ? `on cron ${schedule.data.cron}${schedule.data.timezone ? ` (${schedule.data.timezone})` : ''}`
                : `every ${schedule.data.interval ?? '?'} s`}
            </dd>
            <dt>Catch-up, overlap, DST gap</dt>
            <dd>
              {schedule.data.catchUp}, {schedule.data.overlap}, {schedule.data.dstGap}
            </dd>
            <dt>Last fire</dt>
            <dd>
              {schedule.data.lastFire ? (
                <>
                  due {formatTime(schedule.data.lastFire.scheduledAt)}, fired{' '}
                  {formatTime(schedule.data.lastFire.firedAt)}, run <RunLink jobId={schedule.data.lastFire.runId} />
                </>
              ) : (
                'never'
              )}
            </dd>
            {schedule.data.running && (
              <>
                <dt>Still running</dt>
                <dd>
                  <RunLink jobId={schedule.data.running.runId} />
                </dd>
              </>
            )}
            {schedule.data.buffered && (
              <>
                <dt>Buffered fire</dt>
                <dd>{formatTime(schedule.data.buffered.scheduledAt)}</dd>
              </>
            )}
          </dl>
          <h3>Next fires</h3>
          {schedule.data.nextFireTimes.length === 0 ? (
            <p className="empty">None{schedule.data.enabled ? '' : ': the trigger is disabled'}.</p>
          ) : (
            <ol className="next-fires" aria-label="Next fire times">
              {schedule.data.nextFireTimes.map((at) => (
                <li key={at}>
                  <time dateTime={at}>{formatTime(at)}</time>
                </li>
              ))}
            </ol>
          )}
          <h3>Missed and skipped fires</h3>
          {schedule.data.missed.length === 0 ? (
            <p className="empty">None.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Missed and skipped fires, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Outcome</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Fires</th>
                    <th scope="col">Due from</th>
                    <th scope="col">Due until</th>
                  </tr>
                </thead>
                <tbody>
                  {schedule.data.missed.map((miss) => (
                    <tr key={`${miss.recordedAt}-${miss.firstScheduledAt}`}>
                      <td>{miss.outcome}</td>
                      <td>{miss.reason}</td>
                      <td>{miss.count}</td>
                      <td>{formatTime(miss.firstScheduledAt)}</td>
                      <td>{formatTime(miss.lastScheduledAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function PollSection({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const poll = useQuery({
    queryKey: ['trigger-state', client.workspace, trigger.id, 'poll'],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/poll', {
          params: { path: { workspace: client.workspace, id: trigger.id } },
          signal,
        }),
      ),
    refetchInterval: 30_000,
  });
  return (
    <section aria-labelledby="poll-heading">
      <h2 id="poll-heading">Poll state</h2>
      {poll.isPending ? (
        <Loading what="the poll state" />
      ) : poll.isError ? (
        <ErrorNotice error={poll.error} what="the poll state" retry={() => void poll.refetch()} />
      ) : (
        <dl className="facts">
          <dt>First poll done</dt>
          <dd>{poll.data.initialized ? 'yes' : 'not yet'}</dd>
          <dt>Last poll</dt>
          <dd>{formatTime(poll.data.lastPolledAt)}</dd>
          <dt>Next poll</dt>
          <dd>{formatTime(poll.data.nextPollAt)}</dd>
          <dt>Cursor</dt>
          <dd>
            {poll.data.seenIds} item ids
            {poll.data.lastItemIds.length > 0 && (
              <>
                ; newest: <span className="mono">{poll.data.lastItemIds.join(', ')}</span>
              </>
            )}
          </dd>
          <dt>Runs started</dt>
          <dd>{poll.data.runsStarted}</dd>
          <dt>Failures in a row</dt>
          <dd>{poll.data.consecutiveFailures}</dd>
          <dt>Last error</dt>
          <dd className={poll.data.lastError ? 'field-error' : undefined}>{poll.data.lastError ?? '—'}</dd>
        </dl>
      )}
    </section>
  );
}
