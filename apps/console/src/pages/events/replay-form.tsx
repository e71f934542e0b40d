import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { TextField } from '../../widgets/text-field';

/** A datetime-local value (local time, to the second) of an instant. */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** The instant of a datetime-local value (read as local time), or null when it is not one. */
function instantOf(value: string): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const FINAL = ['completed', 'failed'];

/**
 * Replays an event-driven trigger over a window of the stored record events (`POST .../replay`): each event of
 * the window that matches starts a new run. Then follows the replay (`GET .../replays/{replayId}`) every
 * second until it is done.
 */
export function ReplayForm() {
  const client = useClient();
  const id = useId();
  const [triggerId, setTriggerId] = useState('');
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 15 * 60_000)));
  const [until, setUntil] = useState('');
  const [local, setLocal] = useState<{ since?: string; until?: string; trigger?: string }>({});

  const triggers = useQuery({
    queryKey: ['triggers', client.workspace, { executionType: 'event-driven' }],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers', {
          params: {
            path: { workspace: client.workspace },
            query: {
              executionType: 'event-driven',
              limit: 500,
              sort: JSON.stringify([{ field: 'createdAt', direction: 'desc' }]),
            },
          },
          signal,
        }),
      ),
  });

  const replay = useMutation({
    mutationFn: (body: { triggerId: string; since: string; until?: string }) =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/function-triggers/{id}/replay', {
          params: { path: { workspace: client.workspace, id: body.triggerId } },
          body: { since: body.since, until: body.until },
        }),
      ),
  });

  const submit = (submitted: FormEvent) => {
    submitted.preventDefault();
    const from = instantOf(since);
    const to = until ? instantOf(until) : null;
    const errors: typeof local = {};
    if (!triggerId) errors.trigger = 'Choose a trigger.';
    if (!from) errors.since = 'Choose when the window starts.';
    if (until && !to) errors.until = 'Not a date and time.';
    else if (from && to && to <= from) errors.until = 'The window must end after it starts.';
    setLocal(errors);
    if (Object.keys(errors).length > 0 || !from) return;
    replay.mutate({ triggerId, since: from.toISOString(), until: to?.toISOString() });
  };

  const sinceError = local.since ?? fieldError(replay.error, 'since');
  const untilError = local.until ?? fieldError(replay.error, 'until');
  const list = triggers.data?.triggers ?? [];

  return (
    <form className="events-panel" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Replay over a window</h2>
      <p className="muted">
        Runs an event-driven trigger again for each stored record event of the window that it matches. The original runs
        stay; each replayed event starts a new run.
      </p>
      <div className="field">
        <label htmlFor={`${id}-trigger`}>Event-driven trigger</label>
        {triggers.isPending ? (
          <p className="muted" role="status">
            Loading the event-driven triggers…
          </p>
        ) : triggers.isError ? (
          <ErrorNotice error={triggers.error} what="the triggers" retry={() => void triggers.refetch()} />
        ) : null}
        <select
          id={`${id}-trigger`}
          value={triggerId}
          onChange={(changed) => setTriggerId(changed.target.value)}
          disabled={list.length === 0}
          aria-invalid={local.trigger ? true : undefined}
          aria-describedby={local.trigger ? `${id}-trigger-error` : undefined}
        >
          <option value="">{triggers.isSuccess && list.length === 0 ? 'no event-driven triggers' : 'choose…'}</option>
          {list.map((trigger) => (
            <option key={trigger.id} value={trigger.id}>
              {trigger.name}
              {trigger.executionType === 'event-driven'
                ? ` (${trigger.triggerMetadata.event} on ${trigger.triggerMetadata.recordSlug})`
                : ''}
            </option>
          ))}
        </select>
        {triggers.isSuccess && list.length === 0 && (
          <p className="muted">
            No event-driven trigger in {client.workspace} yet: create one on the <Link to="/triggers">Triggers</Link>{' '}
            page.
          </p>
        )}
        {local.trigger && (
          <p id={`${id}-trigger-error`} role="alert" className="field-error">
            {local.trigger}
          </p>
        )}
      </div>
      <div className="events-window">
        <TextField
          type="datetime-local"
          id={`${id}-since`}
          label="Since"
          value={since}
          onChange={setSince}
          error={sinceError}
        />
        <TextField
          type="datetime-local"
          id={`${id}-until`}
          label="Until (empty: now)"
          value={until}
          onChange={setUntil}
          error={untilError}
        />
      </div>
      <div className="action">
        <button type="submit" disabled={replay.isPending}>
          {replay.isPending ? 'Starting…' : 'Replay'}
        </button>
      </div>
      {!fieldError(replay.error, 'since') && !fieldError(replay.error, 'until') && (
        <FormError error={replay.error} what="Not replayed" />
      )}
      {replay.data && (
        <ReplayProgress key={replay.data.replayId} triggerId={replay.data.triggerId} replayId={replay.data.replayId} />
      )}
    </form>
  );
}

/** One replay's progress, read every second until it is completed or failed. */
function ReplayProgress({ triggerId, replayId }: { triggerId: string; replayId: string }) {
  const client = useClient();
  const replay = useQuery({
    queryKey: ['replay', client.workspace, replayId],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/replays/{replayId}', {
          params: { path: { workspace: client.workspace, id: triggerId, replayId } },
          signal,
        }),
      ),
    // Every second until it is done, or until reading it fails (its error offers a retry).
    refetchInterval: (query) =>
      query.state.status === 'error' || (query.state.data && FINAL.includes(query.state.data.status)) ? false : 1000,
    staleTime: 0,
  });

  if (replay.isPending) {
    return (
      <p role="status" className="muted">
        Replay {replayId} accepted; reading its progress…
      </p>
    );
  }
  if (replay.isError && !replay.data) {
    return <ErrorNotice error={replay.error} what="the replay's progress" retry={() => void replay.refetch()} />;
  }
  const { status, scanned, matched, since, until, finishedAt, error } = replay.data;
  return (
    <div className="events-replay" data-replay-id={replayId} data-status={status}>
      <h3>Replay {replayId.slice(0, 8)}</h3>
      <p role="status">
        Replay {status}: {scanned} {scanned === 1 ? 'event' : 'events'} read, {matched} {matched === 1 ? 'run' : 'runs'}{' '}
        started.
      </p>
      <dl className="facts">
        <dt>Window</dt>
        <dd>
          {formatTime(since)} to {formatTime(until)}
        </dd>
        <dt>Finished</dt>
        <dd>{finishedAt ? formatTime(finishedAt) : 'not yet'}</dd>
        {error && (
          <>
            <dt>Error</dt>
            <dd className="field-error">{error}</dd>
          </>
        )}
      </dl>
      {matched > 0 && FINAL.includes(status) && (
        <p>
          Its runs are in <Link to="/runs">Runs</Link>.
        </p>
      )}
    </div>
  );
}
