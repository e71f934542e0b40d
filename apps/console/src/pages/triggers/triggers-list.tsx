import './triggers.css';

import type { CreateFunctionTrigger } from '@signalbox/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';

import { answer, EXECUTION_TYPES, listFunctions } from '../../api';
import { ErrorNotice, FunctionName, Loading } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';
import { FormError } from '../../widgets/api-errors';
import { parseJson } from '../../widgets/json-field';
import { Pager } from '../../widgets/pager';
import { DraftsSection } from './drafts';
import { isExecutionType } from './trigger-api';
import { emptyTriggerForm, TriggerFields, type TriggerFormValues, unplacedError } from './trigger-form';

const LIMIT = 25;

export function TriggersListPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const rawType = params.get('type');
  const executionType = isExecutionType(rawType) ? rawType : undefined;
  const functionId = params.get('functionId') || undefined;
  const search = params.get('search') || undefined;
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [creating, setCreating] = useState(false);

  const triggers = useQuery({
    queryKey: ['triggers', client.workspace, { executionType, functionId, search, page, limit: LIMIT }],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers', {
          params: {
            path: { workspace: client.workspace },
            query: {
              page,
              limit: LIMIT,
              executionType,
              functionId,
              ...(search ? { search, searchField: 'name' } : {}),
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const functions = useQuery({
    queryKey: ['functions-for-select', client.workspace],
    queryFn: ({ signal }) => listFunctions(client, signal),
  });

  const set = (changes: Record<string, string | number | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '' || (key === 'page' && value === 1)) next.delete(key);
      else next.set(key, String(value));
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };

  const total = triggers.data?.total ?? 0;
  const filtered = Boolean(executionType || functionId || search);

  return (
    <section aria-labelledby="triggers-heading">
      <div className="page-head">
        <h1 id="triggers-heading">Triggers</h1>
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {creating ? 'Close the new trigger form' : 'New trigger'}
        </button>
      </div>
      {creating && <NewTriggerForm onCancel={() => setCreating(false)} />}

      <form
        className="toolbar triggers-filters"
        role="search"
        aria-label="Filter triggers"
        onSubmit={(event) => {
          event.preventDefault();
          const value = new FormData(event.currentTarget).get('search');
          set({ search: typeof value === 'string' ? value.trim() : null });
        }}
      >
        <label htmlFor="trigger-type-filter">Execution type</label>
        <select
          id="trigger-type-filter"
          value={executionType ?? ''}
          onChange={(event) => set({ type: event.target.value })}
        >
          <option value="">all</option>
          {EXECUTION_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
        <label htmlFor="trigger-function-filter">Function</label>
        <select
          id="trigger-function-filter"
          value={functionId ?? ''}
          onChange={(event) => set({ functionId: event.target.value })}
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
        <label htmlFor="trigger-search">Name</label>
        <input id="trigger-search" name="search" type="search" defaultValue={search ?? ''} key={search ?? ''} />
        <button type="submit" className="secondary">
          Search
        </button>
        {triggers.isFetching && !triggers.isPending && (
          <span className="muted" aria-hidden="true">
            updating…
          </span>
        )}
      </form>

      {triggers.isPending ? (
        <Loading what="triggers" />
      ) : triggers.isError && !triggers.data ? (
        <ErrorNotice error={triggers.error} what="the triggers" retry={() => void triggers.refetch()} />
      ) : triggers.data.triggers.length === 0 ? (
        <p className="empty" role="status">
          {filtered
            ? 'No trigger matches these filters.'
            : `No triggers in ${client.workspace} yet: create one with “New trigger”.`}
        </p>
      ) : (
        <>
          {triggers.isError && <ErrorNotice error={triggers.error} what="the latest triggers" />}
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">
                Triggers of workspace {client.workspace}, newest first{executionType ? `, type ${executionType}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Execution type</th>
                  <th scope="col">Function</th>
                  <th scope="col">State</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {triggers.data.triggers.map((trigger) => (
                  <tr key={trigger.id} data-trigger-id={trigger.id}>
                    <td>
                      <Link to={`/triggers/${trigger.id}`}>{trigger.name}</Link>
                      {trigger.isSystem && <span className="muted"> (default)</span>}
                    </td>
                    <td>{trigger.executionType}</td>
                    <td>
                      <FunctionName id={trigger.functionId} />
                    </td>
                    <td>
                      <EnabledBadge enabled={trigger.enabled} />
                    </td>
                    <td>
                      <time dateTime={trigger.updatedAt}>{formatTime(trigger.updatedAt)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            page={page}
            limit={LIMIT}
            total={total}
            things={['trigger', 'triggers']}
            onPage={(p) => set({ page: p })}
          />
        </>
      )}

      <DraftsSection />
    </section>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <span className={`badge ${enabled ? 'badge-enabled' : 'badge-disabled'}`} data-enabled={enabled}>
      {enabled ? 'enabled' : 'disabled'}
    </span>
  );
}

/** The new trigger: created at once, or kept as a draft (loosely checked, published later). */
function NewTriggerForm({ onCancel }: { onCancel: () => void }) {
  const client = useClient();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [values, setValues] = useState<TriggerFormValues>(emptyTriggerForm);
  const [parseError, setParseError] = useState<string | null>(null);

  const body = () => {
    const metadata = parseJson(values.metadata);
    if (!metadata.ok) {
      setParseError(`Not JSON: ${metadata.message}`);
      return null;
    }
    setParseError(null);
    return {
      name: values.name,
      ...(values.description ? { description: values.description } : {}),
      functionId: values.functionId,
      executionType: values.executionType,
      triggerMetadata: metadata.value,
    };
  };
  const create = useMutation({
    mutationFn: (input: NonNullable<ReturnType<typeof body>>) =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/function-triggers', {
          params: { path: { workspace: client.workspace } },
          body: input as CreateFunctionTrigger,
        }),
      ),
    onSuccess: async (trigger) => {
      await queries.invalidateQueries({ queryKey: ['triggers', client.workspace] });
      void navigate(`/triggers/${trigger.id}`);
    },
  });
  const draft = useMutation({
    mutationFn: (input: NonNullable<ReturnType<typeof body>>) =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/function-triggers/drafts', {
          params: { path: { workspace: client.workspace } },
          body: {
            ...(input.name ? { name: input.name } : {}),
            ...(input.description ? { description: input.description } : {}),
            ...(input.functionId ? { functionId: input.functionId } : {}),
            ...(input.executionType ? { executionType: input.executionType } : {}),
            triggerMetadata: input.triggerMetadata as Record<string, unknown>,
          },
        }),
      ),
    onSuccess: async (saved) => {
      await queries.invalidateQueries({ queryKey: ['trigger-drafts', client.workspace] });
      void navigate(`/triggers?draft=${saved.id}`);
      onCancel();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    draft.reset();
    const input = body();
    if (input) create.mutate(input);
  };
  const error = create.error ?? draft.error;

  return (
    <form className="panel trigger-form" aria-labelledby="new-trigger-heading" onSubmit={submit} noValidate>
      <h2 id="new-trigger-heading">New trigger</h2>
      <TriggerFields values={values} onChange={setValues} error={error} parseError={parseError} />
      <div className="form-actions">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create trigger'}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={draft.isPending}
          onClick={() => {
            create.reset();
            const input = body();
            if (input) draft.mutate(input);
          }}
        >
          Save as draft
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <FormError error={unplacedError(error)} what="Not saved" />
    </form>
  );
}
