import { describeWaiting, type RunFilters } from '@signalbox/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';

import { answer, BY_NAME, EXECUTION_TYPES, listFunctions } from '../api';
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
import { Pager } from '../widgets/pager';

const LIMIT = 25;

type Query = RunFilters & { page: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The URL's filters, by name; each maps to the list route's query parameter of the same name. */
const FILTERS = ['status', 'executionType', 'functionId', 'triggerId', 'from', 'to', 'search'] as const;
type Filter = (typeof FILTERS)[number];

/** A `datetime-local` value (the browser's local time) as an instant, or undefined when empty or invalid. */
function instant(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** What the URL asks for, as the list route's query: a search is a job id when it looks like one, else a key. */
function queryOf(params: URLSearchParams, page: number): Query {
  const search = params.get('search')?.trim();
  const uuid = (name: Filter) => {
    const value = params.get(name);
    return value && UUID.test(value) ? value : undefined;
  };
  return {
    page,
    limit: LIMIT,
    status: RUN_STATUSES.find((s) => s === params.get('status')),
    executionType: EXECUTION_TYPES.find((t) => t === params.get('executionType')),
    functionId: uuid('functionId'),
    triggerId: uuid('triggerId'),
    from: instant(params.get('from')),
    to: instant(params.get('to')),
    ...(search ? (UUID.test(search) ? { jobId: search } : { idempotencyKey: search }) : {}),
  };
}

export function RunsListPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const query = queryOf(params, page);
  const filtered = FILTERS.some((name) => params.get(name));

  const runs = useQuery({
    queryKey: ['runs', client.workspace, query],
    queryFn: async ({ signal }) => {
      const list = (filters: Query) =>
        answer(
          client.api.GET('/workspace/{workspace}/api/v1/function-runs', {
            params: { path: { workspace: client.workspace }, query: filters },
            signal,
          }),
        );
      const found = await list(query);
      // A UUID is a job id, or an idempotency key (the SDK makes its keys so): the key when no run has that id.
      if (found.total > 0 || query.jobId === undefined) return found;
      const { jobId, ...others } = query;
      return list({ ...others, idempotencyKey: jobId });
    },
    placeholderData: keepPreviousData,
  });

  /** Changes filters (a filter change goes back to page 1) or the page. */
  const set = (changes: Partial<Record<Filter, string | null>> & { page?: number }) => {
    const next = new URLSearchParams(params);
    for (const name of FILTERS) {
      const value = changes[name];
      if (value === undefined) continue;
      if (value) next.set(name, value);
      else next.delete(name);
      next.delete('page');
    }
    if (changes.page !== undefined) {
      if (changes.page > 1) next.set('page', String(changes.page));
      else next.delete('page');
    }
    setParams(next);
  };

  const total = runs.data?.total ?? 0;
  const status = query.status;

  return (
    <section aria-labelledby="runs-heading">
      <h1 id="runs-heading">Runs</h1>
      <RunFilters params={params} set={set} />
      <div className="toolbar">
        {filtered && (
          <button type="button" className="secondary" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        )}
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
          {filtered
            ? `No runs in ${client.workspace} match these filters.`
            : `No runs in ${client.workspace} yet: execute a trigger and its run appears here at once.`}
        </p>
      ) : (
        <>
          {runs.isError && <ErrorNotice error={runs.error} what="the latest runs" />}
          <div className="table-wrap">
            <table className="runs">
              <caption className="visually-hidden">
                Runs of workspace {client.workspace}, newest first{status ? `, status ${statusLabel(status)}` : ''}
                {filtered ? ', filtered' : ''}
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
                      {run.waitingFor && <span className="muted"> {describeWaiting(run.waitingFor)}</span>}
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
          <Pager page={page} limit={LIMIT} total={total} things={['run', 'runs']} onPage={(p) => set({ page: p })} />
        </>
      )}
    </section>
  );
}

/** The filters, each a field whose value lives in the URL; text fields apply on submit. */
function RunFilters({
  params,
  set,
}: {
  params: URLSearchParams;
  set: (changes: Partial<Record<Filter, string | null>>) => void;
}) {
  const client = useClient();
  const [search, setSearch] = useState(params.get('search') ?? '');
  const [from, setFrom] = useState(params.get('from') ?? '');
  const [to, setTo] = useState(params.get('to') ?? '');
  // A text field follows its own parameter (cleared, or set by a link); another filter leaves what is typed.
  const [searched, since, until] = [params.get('search') ?? '', params.get('from') ?? '', params.get('to') ?? ''];
  useEffect(() => setSearch(searched), [searched]);
  useEffect(() => setFrom(since), [since]);
  useEffect(() => setTo(until), [until]);
  const functions = useQuery({
    queryKey: ['functions-for-select', client.workspace],
    queryFn: ({ signal }) => listFunctions(client, signal),
    staleTime: 60_000,
  });
  const triggers = useQuery({
    queryKey: ['triggers-for-filter', client.workspace],
    queryFn: async () =>
      (
        await answer(
          client.api.GET('/workspace/{workspace}/api/v1/function-triggers', {
            params: { path: { workspace: client.workspace }, query: { limit: 100, page: 1, sort: BY_NAME } },
          }),
        )
      ).triggers,
    staleTime: 60_000,
  });
  const functionId = params.get('functionId') ?? '';
  const triggerId = params.get('triggerId') ?? '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set({ search: search.trim() || null, from: from || null, to: to || null });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter runs">
      <div className="filter">
        <label htmlFor="filter-status">Status</label>
        <select
          id="filter-status"
          value={params.get('status') ?? ''}
          onChange={(event) => set({ status: event.target.value || null })}
        >
          <option value="">all</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="filter-type">Execution type</label>
        <select
          id="filter-type"
          value={params.get('executionType') ?? ''}
          onChange={(event) => set({ executionType: event.target.value || null })}
        >
          <option value="">all</option>
          {EXECUTION_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="filter-function">Function</label>
        <select
          id="filter-function"
          value={functionId}
          onChange={(event) => set({ functionId: event.target.value || null })}
        >
          <option value="">all</option>
          {functionId && !functions.data?.some((fn) => fn.id === functionId) && (
            <option value={functionId}>{functionId}</option>
          )}
          {functions.data?.map((fn) => (
            <option key={fn.id} value={fn.id}>
              {fn.name}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="filter-trigger">Trigger</label>
        <select
          id="filter-trigger"
          value={triggerId}
          onChange={(event) => set({ triggerId: event.target.value || null })}
        >
          <option value="">all</option>
          {triggerId && !triggers.data?.some((trigger) => trigger.id === triggerId) && (
            <option value={triggerId}>{triggerId}</option>
          )}
          {triggers.data?.map((trigger) => (
            <option key={trigger.id} value={trigger.id}>
              {trigger.name} ({trigger.executionType})
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="filter-from">Queued from</label>
        <input
          id="filter-from"
          type="datetime-local"
          step={1}
          value={from}
          onChange={(event) => setFrom(event.target.value)}
        />
      </div>
      <div className="filter">
        <label htmlFor="filter-to">Queued before</label>
        <input
          id="filter-to"
          type="datetime-local"
          step={1}
          value={to}
          onChange={(event) => setTo(event.target.value)}
        />
      </div>
      <div className="filter">
        <label htmlFor="filter-search">Job id or idempotency key</label>
        <input
          id="filter-search"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          size={28}
        />
      </div>
      <button type="submit">Apply</button>
    </form>
  );
}
