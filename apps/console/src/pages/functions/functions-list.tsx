import './functions.css';

import type { ComputeFunction } from '@signalbox/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';

import { answer, BY_NAME } from '../../api';
import { ErrorNotice, Loading } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';
import { Pager } from '../../widgets/pager';
import { TextField } from '../../widgets/text-field';
import { CodeField, errorFor, type FunctionFields, STARTER_CODE, UnplacedError } from './fields';
import { failureRate, type FunctionRunStats, MAX_STATS_IDS } from './function-stats';

const LIMIT = 25;
/** How often the 24 h counts are read again while the list is open. */
const STATS_REFRESH_MS = 30_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function FunctionsListPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const search = params.get('search')?.trim() ?? '';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [creating, setCreating] = useState(false);

  const functions = useQuery({
    queryKey: ['functions', client.workspace, { search, page, limit: LIMIT }],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/compute-functions', {
          params: {
            path: { workspace: client.workspace },
            query: {
              page,
              limit: LIMIT,
              search: search || undefined,
              searchField: 'name',
              sort: BY_NAME,
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const set = (changes: { search?: string; page?: number }) => {
    const next = new URLSearchParams(params);
    if (changes.search !== undefined) {
      if (changes.search) next.set('search', changes.search);
      else next.delete('search');
      next.delete('page');
    }
    if (changes.page !== undefined) {
      if (changes.page > 1) next.set('page', String(changes.page));
      else next.delete('page');
    }
    setParams(next);
  };

  const total = functions.data?.total ?? 0;

  return (
    <section className="fn-page" aria-labelledby="functions-heading">
      <h1 id="functions-heading">Functions</h1>
      <div className="toolbar fn-toolbar">
        <SearchForm key={search} initial={search} onSearch={(term) => set({ search: term })} />
        {functions.isFetching && !functions.isPending && (
          <span className="muted" aria-hidden="true">
            updating…
          </span>
        )}
        {!creating && (
          <button type="button" className="fn-new" onClick={() => setCreating(true)}>
            New function
          </button>
        )}
      </div>

      {creating && <NewFunctionForm onCancel={() => setCreating(false)} />}

      {functions.isPending ? (
        <Loading what="functions" />
      ) : functions.isError && !functions.data ? (
        <ErrorNotice error={functions.error} what="the functions" retry={() => void functions.refetch()} />
      ) : functions.data.functions.length === 0 ? (
        <p className="empty" role="status">
          {search
            ? `No function of ${client.workspace} has a name containing “${search}”.`
            : `No functions in ${client.workspace} yet: create one with “New function”.`}
        </p>
      ) : (
        <>
          {functions.isError && <ErrorNotice error={functions.error} what="the latest functions" />}
          <FunctionsTable functions={functions.data.functions} search={search} />
          <Pager
            page={page}
            limit={LIMIT}
            total={total}
            things={['function', 'functions']}
            onPage={(p) => set({ page: p })}
          />
        </>
      )}
    </section>
  );
}

function SearchForm({ initial, onSearch }: { initial: string; onSearch: (term: string) => void }) {
  const [term, setTerm] = useState(initial);
  return (
    <form
      role="search"
      className="fn-search"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(term.trim());
      }}
    >
      <label htmlFor="function-search">Search by name</label>
      <input id="function-search" type="search" value={term} onChange={(event) => setTerm(event.target.value)} />
      <button type="submit" className="secondary">
        Search
      </button>
    </form>
  );
}

function FunctionsTable({ functions, search }: { functions: ComputeFunction[]; search: string }) {
  const client = useClient();
  const ids = functions.map((fn) => fn.id).slice(0, MAX_STATS_IDS);
  // A count over a day of runs: read again every 30 s, not on every run change.
  const stats = useQuery({
    queryKey: ['function-stats', client.workspace, ids],
    refetchInterval: STATS_REFRESH_MS,
    queryFn: async () => {
      if (ids.length === 0) return new Map<string, FunctionRunStats>();
      const stats = await client.runs.stats(ids, new Date(Date.now() - DAY_MS).toISOString());
      return new Map(stats.functions.map((entry) => [entry.functionId, entry]));
    },
    retry: false,
    placeholderData: keepPreviousData,
  });
  return (
    <div className="table-wrap">
      <table className="functions">
        <caption className="visually-hidden">
          Functions of workspace {client.workspace} by name{search ? `, names containing “${search}”` : ''}, with their
          runs of the last 24 hours
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Version</th>
            <th scope="col">Updated at</th>
            <th scope="col">Runs (24 h)</th>
            <th scope="col">Failure rate (24 h)</th>
          </tr>
        </thead>
        <tbody>
          {functions.map((fn) => (
            <tr key={fn.id} data-function-id={fn.id}>
              <td>
                <Link to={`/functions/${fn.id}`}>{fn.name}</Link>
              </td>
              <td className="fn-description">{fn.description || <span className="muted">—</span>}</td>
              <td>v{fn.version}</td>
              <td>
                <time dateTime={fn.updatedAt}>{formatTime(fn.updatedAt)}</time>
              </td>
              <StatsCells stats={stats.data?.get(fn.id)} readable={stats.isSuccess || Boolean(stats.data)} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The 24 h volume and failure rate; "—" while they load or when they cannot be read. */
function StatsCells({ stats, readable }: { stats: FunctionRunStats | undefined; readable: boolean }) {
  if (!readable) {
    return (
      <>
        <td title="Run statistics are not available">—</td>
        <td title="Run statistics are not available">—</td>
      </>
    );
  }
  const rate = failureRate(stats);
  return (
    <>
      <td>{stats?.total ?? 0}</td>
      <td>{rate === null ? '—' : `${rate.toFixed(rate > 0 && rate < 10 ? 1 : 0)} %`}</td>
    </>
  );
}

function NewFunctionForm({ onCancel }: { onCancel: () => void }) {
  const client = useClient();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [fields, setFields] = useState<Pick<FunctionFields, 'name' | 'description' | 'code'>>({
    name: '',
    description: '',
    code: STARTER_CODE,
  });
  const create = useMutation({
    mutationFn: () =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/compute-functions', {
          params: { path: { workspace: client.workspace } },
          body: {
            name: fields.name,
            code: fields.code,
            ...(fields.description ? { description: fields.description } : {}),
          },
        }),
      ),
    onSuccess: async (fn) => {
      await queries.invalidateQueries({ queryKey: ['functions', client.workspace] });
      void navigate(`/functions/${fn.id}`);
    },
  });
  const change = (field: keyof typeof fields) => (value: string) => setFields((now) => ({ ...now, [field]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="fn-form" aria-labelledby="new-function-heading" onSubmit={submit} noValidate>
      <h2 id="new-function-heading">New function</h2>
      <TextField
        label="Name"
        value={fields.name}
        onChange={change('name')}
        error={errorFor(create.error, 'name')}
        required
      />
      <TextField
        label="Description"
        value={fields.description}
        onChange={change('description')}
        error={errorFor(create.error, 'description')}
        multiline
      />
      <CodeField value={fields.code} onChange={change('code')} error={errorFor(create.error, 'code')} />
      <div className="fn-actions">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create function'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <UnplacedError error={create.error} fields={['name', 'description', 'code']} what="Not created" />
    </form>
  );
}
