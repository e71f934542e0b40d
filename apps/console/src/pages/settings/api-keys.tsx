import './settings.css';

import type { ApiKey, CreateApiKey, Signalbox } from '@signalbox/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';

import { answer } from '../../api';
import { ErrorNotice, Loading } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { Pager } from '../../widgets/pager';
import { SecretOnce } from '../../widgets/secret-once';
import { TextField } from '../../widgets/text-field';

const KEYS = '/workspace/{workspace}/api/v1/api-keys' as const;
type Scope = CreateApiKey['scopes'][number];

const RESOURCES = [
  'function-triggers',
  'compute-functions',
  'function-runs',
  'webhooks',
  'api-keys',
  'events',
  'settings',
] as const;
const ACTIONS = ['*', 'read', 'write', 'execute'] as const;
const LIMIT = 100;

function listKeys(client: Signalbox, page: number, signal: AbortSignal) {
  return answer(
    client.api.GET(KEYS, {
      params: {
        path: { workspace: client.workspace },
        query: { page, limit: LIMIT, sort: JSON.stringify([{ field: 'createdAt', direction: 'desc' }]) },
      },
      signal,
    }),
  );
}

export function ApiKeysPage() {
  const client = useClient();
  const [page, setPage] = useState(1);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const keys = useQuery({
    queryKey: ['api-keys', client.workspace, { page }],
    queryFn: ({ signal }) => listKeys(client, page, signal),
    placeholderData: keepPreviousData,
  });
  const total = keys.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / LIMIT));

  return (
    <section aria-labelledby="api-keys-heading">
      <h1 id="api-keys-heading">API keys</h1>
      <p className="muted">
        Keys of workspace {client.workspace}, for programs: send one as the <code>x-api-key</code> header. A key holds
        only the scopes chosen here, and acts in this workspace only.
      </p>

      {created && (
        <div className="notice notice-ok">
          <SecretOnce secret={created.key} title={`API key ${created.name}`} copyLabel="Copy key" />
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}

      <CreateKey onCreated={setCreated} />

      <h2>Active keys</h2>
      {keys.isPending ? (
        <Loading what="API keys" />
      ) : keys.isError && !keys.data ? (
        <ErrorNotice error={keys.error} what="the API keys" retry={() => void keys.refetch()} />
      ) : keys.data.apiKeys.length === 0 ? (
        <p className="empty" role="status">
          No API keys in {client.workspace} yet.
        </p>
      ) : (
        <>
          {keys.isError && <ErrorNotice error={keys.error} what="the latest API keys" />}
          <div className="table-wrap">
            <table className="api-keys">
              <caption className="visually-hidden">Active API keys of {client.workspace}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Revoke</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.apiKeys.map((key) => (
                  <KeyRow key={key.id} apiKey={key} />
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <Pager
              page={page}
              limit={LIMIT}
              total={total}
              things={['API key', 'API keys']}
              onPage={(p) => setPage(p)}
            />
          )}
        </>
      )}
    </section>
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const client = useClient();
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () =>
      answer(client.api.DELETE(`${KEYS}/{id}`, { params: { path: { workspace: client.workspace, id: apiKey.id } } })),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['api-keys', client.workspace] }),
  });
  return (
    <tr data-key-id={apiKey.id}>
      <td>{apiKey.name}</td>
      <td className="mono">{apiKey.prefix}</td>
      <td>
        <ul className="plain">
          {apiKey.scopes.map((scope) => (
            <li key={scope} className="mono">
              {scope}
            </li>
          ))}
        </ul>
      </td>
      <td>
        {formatTime(apiKey.createdAt)}
        <div className="muted">by {apiKey.createdBy}</div>
      </td>
      <td>{apiKey.expiresAt ? formatTime(apiKey.expiresAt) : 'never'}</td>
      <td>{apiKey.lastUsedAt ? formatTime(apiKey.lastUsedAt) : 'not yet'}</td>
      <td>
        {confirming ? (
          <div role="group" aria-label={`Confirm revoking ${apiKey.name}`} className="confirm">
            <p>Revoke {apiKey.name}? Requests with it are refused from now on.</p>
            <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
              Revoke key
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button
            type="button"
            className="secondary"
            aria-label={`Revoke ${apiKey.name}…`}
            onClick={() => setConfirming(true)}
          >
            Revoke…
          </button>
        )}
        <FormError error={revoke.error} what="Not revoked" />
      </td>
    </tr>
  );
}

function CreateKey({ onCreated }: { onCreated: (created: { name: string; key: string }) => void }) {
  const client = useClient();
  const queries = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<readonly Scope[]>([]);
  const [expires, setExpires] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: CreateApiKey) =>
      answer(client.api.POST(KEYS, { params: { path: { workspace: client.workspace } }, body })),
    onSuccess: (key) => {
      void queries.invalidateQueries({ queryKey: ['api-keys', client.workspace] });
      onCreated({ name: key.name, key: key.key ?? '' });
      setName('');
      setScopes([]);
      setExpires('');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const at = expires ? new Date(expires) : null;
    if (at && Number.isNaN(at.getTime())) return setLocal('A date and time, or empty for a key that does not expire.');
    setLocal(null);
    create.mutate({ name: name.trim(), scopes: [...scopes], ...(at ? { expiresAt: at.toISOString() } : {}) });
  };
  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current.filter((s) => s !== scope), scope] : current.filter((s) => s !== scope)));
  const scopesError = fieldError(create.error, 'scopes');

  return (
    <form className="panel" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New API key</h2>
      <TextField
        id={`${id}-name`}
        label="Name"
        value={name}
        onChange={setName}
        error={fieldError(create.error, 'name')}
      />
      <fieldset aria-describedby={scopesError ? `${id}-scopes-error` : undefined} className="scopes">
        <legend>Scopes</legend>
        <p className="muted field-hint">
          What the key may do. <span className="mono">*</span> is everything; <span className="mono">write</span>{' '}
          implies read and execute. You can only give scopes you hold.
        </p>
        <label className="check">
          <input type="checkbox" checked={scopes.includes('*')} onChange={(e) => toggle('*', e.target.checked)} />{' '}
          <span className="mono">*</span> (everything)
        </label>
        <table className="scope-grid">
          <caption className="visually-hidden">Scopes by resource and action</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              {ACTIONS.map((action) => (
                <th scope="col" key={action}>
                  {action === '*' ? 'all' : action}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {RESOURCES.map((resource) => (
              <tr key={resource}>
                <th scope="row" className="mono">
                  {resource}
                </th>
                {ACTIONS.map((action) => {
                  const scope = `${resource}:${action}` as Scope;
                  return (
                    <td key={action}>
                      <input
                        type="checkbox"
                        aria-label={scope}
                        checked={scopes.includes(scope)}
                        onChange={(e) => toggle(scope, e.target.checked)}
                      />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {scopesError && (
          <p id={`${id}-scopes-error`} role="alert" className="field-error">
            {scopesError}
          </p>
        )}
      </fieldset>
      <TextField
        id={`${id}-expires`}
        label="Expires (optional)"
        hint="empty: the key does not expire"
        type="datetime-local"
        value={expires}
        onChange={setExpires}
        error={local ?? fieldError(create.error, 'expiresAt')}
      />
      <div className="action">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
      <FormError error={create.error} what="Not created" />
    </form>
  );
}
