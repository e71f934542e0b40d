import { type RunStatus, SignalboxError } from '@signalbox/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';

import {
  ErrorNotice,
  FunctionName,
  Loading,
  RUN_STATUSES,
  RunLink,
  StatusBadge,
  statusLabel,
  TriggerName,
} from '../components';
import { formatDuration, formatTime } from '../format';
import { useClient } from '../session-context';

const LIMIT = 25;

export function RunsListPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const status = RUN_STATUSES.find((s) => s === params.get('status'));
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);

  const runs = useQuery({
    queryKey: ['runs', client.workspace, { status, page, limit: LIMIT }],
    queryFn: async ({ signal }) => {
      const { data, error, response } = await client.api.GET('/workspace/{workspace}/api/v1/function-runs', {
        params: { path: { workspace: client.workspace }, query: { page, limit: LIMIT, status } },
        signal,
      });
      if (!response.ok || !data) throw SignalboxError.fromAnswer(response, error);
      return data;
    },
    placeholderData: keepPreviousData,
  });

  const set = (changes: { status?: RunStatus | null; page?: number }) => {
    const next = new URLSearchParams(params);
    if (changes.status !== undefined) {
      if (changes.status) next.set('status', changes.status);
      else next.delete('status');
      next.delete('page');
    }
    if (changes.page !== undefined) {
      if (changes.page > 1) next.set('page', String(changes.page));
      else next.delete('page');
    }
    setParams(next);
  };

  const total = runs.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / LIMIT));

  return (
    <section aria-labelledby="runs-heading">
      <h1 id="runs-heading">Runs</h1>
      <div className="toolbar">
        <label htmlFor="status-filter">Status</label>
        <select
          id="status-filter"
          value={status ?? ''}
          onChange={(event) => set({ status: (event.target.value || null) as RunStatus | null })}
        >
          <option value="">all</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
        {runs.isFetching && !runs.isPending && (
          <span className="muted" aria-hidden="true">
            updating…
          </span>
        )}
      </div>

      {runs.isPending ? (
        <Loading what="runs" />
      ) : runs.isError && !runs.data ? (
        <ErrorNotice error={runs.error} what="the runs" retry={() => void runs.refetch()} />
      ) : runs.data.runs.length === 0 ? (
        <p className="empty" role="status">
          {status
            ? `No ${statusLabel(status)} runs in ${client.workspace}.`
            : `No runs in ${client.workspace} yet: execute a trigger and its run appears here at once.`}
        </p>
      ) : (
        <>
          {runs.isError && <ErrorNotice error={runs.error} what="the latest runs" />}
          <div className="table-wrap">
            <table className="runs">
              <caption className="visually-hidden">
                Runs of workspace {client.workspace}, newest first{status ? `, status ${statusLabel(status)}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Job id</th>
                  <th scope="col">Status</th>
                  <th scope="col">Function</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Queued at</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.runs.map((run) => (
                  <tr key={run.jobId} data-job-id={run.jobId}>
                    <td>
                      <RunLink jobId={run.jobId} />
                    </td>
                    <td>
                      <StatusBadge status={run.status} />
                      {run.attempt > 1 && <span className="muted"> attempt {run.attempt}</span>}
                    </td>
                    <td>
                      <FunctionName id={run.functionId} version={run.functionVersion} />
                    </td>
                    <td>
                      <TriggerName id={run.triggerId} />
                    </td>
                    <td>
                      <time dateTime={run.queuedAt}>{formatTime(run.queuedAt)}</time>
                    </td>
                    <td>{formatDuration(run.durationMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages of runs">
            <button type="button" disabled={page <= 1} onClick={() => set({ page: page - 1 })}>
              Previous page
            </button>
            <span>
              Page {page} of {pages} ({total} {total === 1 ? 'run' : 'runs'})
            </span>
            <button type="button" disabled={page >= pages} onClick={() => set({ page: page + 1 })}>
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
