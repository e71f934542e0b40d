import './functions.css';

import type { ComputeFunction } from '@signalbox/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { answer, BY_NAME } from '../../api';
import { ErrorNotice, Loading } from '../../components';
import { DiffView } from '../../editor/code-editor';
import { errorMessage, formatDuration, formatTime } from '../../format';
import { useClient } from '../../session-context';
import { TextField } from '../../widgets/text-field';
import { CodeField, errorFor, type FunctionFields, UnplacedError, wholeNumber } from './fields';

const V1 = '/workspace/{workspace}/api/v1';

export function FunctionDetailPage() {
  const { id = '' } = useParams();
  const client = useClient();
  const fn = useQuery({
    queryKey: ['function', client.workspace, id],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET(`${V1}/compute-functions/{id}`, {
          params: { path: { workspace: client.workspace, id } },
          signal,
        }),
      ),
  });

  return (
    <section className="fn-page" aria-labelledby="function-heading">
      <p className="crumbs">
        <Link to="/functions">← All functions</Link>
      </p>
      <h1 id="function-heading">{fn.data ? `Function ${fn.data.name}` : 'Function'}</h1>
      {fn.isPending ? (
        <Loading what="the function" />
      ) : fn.isError ? (
        <ErrorNotice error={fn.error} what="the function" retry={() => void fn.refetch()} />
      ) : (
        <FunctionBody fn={fn.data} />
      )}
    </section>
  );
}

function FunctionBody({ fn }: { fn: ComputeFunction }) {
  return (
    <>
      <dl className="facts">
        <dt>Description</dt>
        <dd>{fn.description || <span className="muted">none</span>}</dd>
        <dt>Version</dt>
        <dd>v{fn.version}</dd>
        <dt>Timeout</dt>
        <dd>{formatDuration(fn.timeoutMs)}</dd>
        <dt>Memory</dt>
        <dd>{fn.memoryMb} MB</dd>
        <dt>Default trigger</dt>
        <dd>
          <Link to={`/triggers/${fn.defaultTriggerId}`} className="mono">
            {fn.defaultTriggerId}
          </Link>{' '}
          <span className="muted">(on-demand)</span>
        </dd>
        <dt>Updated</dt>
        <dd>
          {formatTime(fn.updatedAt)} by {fn.updatedBy}
        </dd>
        <dt>Created</dt>
        <dd>
          {formatTime(fn.createdAt)} by {fn.createdBy}
        </dd>
        <dt>Id</dt>
        <dd className="mono">{fn.id}</dd>
      </dl>
      <p>
        <Link to={`/runs?functionId=${encodeURIComponent(fn.id)}`}>Runs of this function</Link>
      </p>

      <EditForm key={fn.id} fn={fn} />
      <Versions fn={fn} />
      <Triggers fn={fn} />
      <DeleteFunction fn={fn} />
    </>
  );
}

function EditForm({ fn }: { fn: ComputeFunction }) {
  const client = useClient();
  const queries = useQueryClient();
  const [fields, setFields] = useState<FunctionFields>({
    name: fn.name,
    description: fn.description,
    code: fn.code,
    timeoutMs: String(fn.timeoutMs),
    memoryMb: String(fn.memoryMb),
  });
  const save = useMutation({
    mutationFn: () =>
      answer(
        client.api.PUT(`${V1}/compute-functions/{id}`, {
          params: { path: { workspace: client.workspace, id: fn.id } },
          body: {
            name: fields.name,
            description: fields.description,
            code: fields.code,
            timeoutMs: wholeNumber(fields.timeoutMs),
            memoryMb: wholeNumber(fields.memoryMb),
          },
        }),
      ),
    onSuccess: async (saved) => {
      queries.setQueryData(['function', client.workspace, fn.id], saved);
      await Promise.all([
        queries.invalidateQueries({ queryKey: ['function-versions', client.workspace, fn.id] }),
        queries.invalidateQueries({ queryKey: ['functions', client.workspace] }),
      ]);
    },
  });
  const change = (field: keyof FunctionFields) => (value: string) => setFields((now) => ({ ...now, [field]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="fn-form" aria-labelledby="edit-heading" onSubmit={submit} noValidate>
      <h2 id="edit-heading">Code and settings</h2>
      <div className="fn-row">
        <TextField label="Name" value={fields.name} onChange={change('name')} error={errorFor(save.error, 'name')} />
        <TextField
          label="Timeout (ms)"
          type="number"
          value={fields.timeoutMs}
          onChange={change('timeoutMs')}
          error={errorFor(save.error, 'timeoutMs')}
          hint="100 to 300000"
        />
        <TextField
          label="Memory (MB)"
          type="number"
          value={fields.memoryMb}
          onChange={change('memoryMb')}
          error={errorFor(save.error, 'memoryMb')}
          hint="8 to 1024"
        />
      </div>
      <TextField
        label="Description"
        value={fields.description}
        onChange={change('description')}
        error={errorFor(save.error, 'description')}
        multiline
      />
      <CodeField value={fields.code} onChange={change('code')} error={errorFor(save.error, 'code')} />
      <div className="fn-actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save as new version'}
        </button>
        <span role="status">{save.isSuccess && `Saved as version ${save.data.version}.`}</span>
      </div>
      <UnplacedError
        error={save.error}
        fields={['name', 'description', 'code', 'timeoutMs', 'memoryMb']}
        what="Not saved"
      />
    </form>
  );
}

function Versions({ fn }: { fn: ComputeFunction }) {
  const client = useClient();
  const selectId = useId();
  const versions = useQuery({
    queryKey: ['function-versions', client.workspace, fn.id],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET(`${V1}/compute-functions/{id}/versions`, {
          params: { path: { workspace: client.workspace, id: fn.id } },
          signal,
        }),
      ),
  });
  const [chosen, setChosen] = useState<number | null>(null);
  const list = versions.data?.versions ?? [];
  const older = list.filter((v) => v.version !== fn.version);
  // The version compared: the one chosen, else the one before the current.
  const compared = older.find((v) => v.version === chosen) ?? older[0];
  const comparedCode = typeof compared?.snapshot.code === 'string' ? compared.snapshot.code : null;

  return (
    <>
      <h2 id="versions-heading">Versions</h2>
      {versions.isPending ? (
        <Loading what="the versions" />
      ) : versions.isError ? (
        <ErrorNotice error={versions.error} what="the versions" retry={() => void versions.refetch()} />
      ) : list.length === 0 ? (
        <p className="empty">No versions recorded.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-labelledby="versions-heading">
              <caption className="visually-hidden">Versions of {fn.name}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Change</th>
                  <th scope="col">By</th>
                  <th scope="col">At</th>
                </tr>
              </thead>
              <tbody>
                {list.map((v) => (
                  <tr key={v.version} data-version={v.version}>
                    <td>
                      v{v.version}
                      {v.version === fn.version && <span className="muted"> (current)</span>}
                    </td>
                    <td>{v.change}</td>
                    <td>{v.changedBy}</td>
                    <td>
                      <time dateTime={v.changedAt}>{formatTime(v.changedAt)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <h3>Compare with the current code</h3>
          {!compared ? (
            <p className="empty">Only one version so far: nothing to compare.</p>
          ) : (
            <>
              <div className="toolbar">
                <label htmlFor={selectId}>Version</label>
                <select
                  id={selectId}
                  value={compared.version}
                  onChange={(event) => setChosen(Number(event.target.value))}
                >
                  {older.map((v) => (
                    <option key={v.version} value={v.version}>
                      v{v.version} ({formatTime(v.changedAt)})
                    </option>
                  ))}
                </select>
                <span className="muted">
                  left: v{compared.version}, right: v{fn.version} (current)
                </span>
              </div>
              {comparedCode === null ? (
                <p className="empty">Version {compared.version} recorded no code.</p>
              ) : comparedCode === fn.code ? (
                <p className="empty">
                  The code of v{compared.version} is the same as the current code (only settings changed).
                </p>
              ) : (
                <DiffView
                  original={comparedCode}
                  modified={fn.code}
                  language="javascript"
                  label={`Code of v${compared.version} and of the current v${fn.version}`}
                />
              )}
            </>
          )}
        </>
      )}
    </>
  );
}

function Triggers({ fn }: { fn: ComputeFunction }) {
  const client = useClient();
  const triggers = useQuery({
    queryKey: ['function-triggers', client.workspace, fn.id],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET(`${V1}/function-triggers`, {
          params: {
            path: { workspace: client.workspace },
            query: { functionId: fn.id, limit: 100, sort: BY_NAME },
          },
          signal,
        }),
      ),
  });
  return (
    <>
      <h2 id="triggers-heading">Triggers</h2>
      {triggers.isPending ? (
        <Loading what="the triggers" />
      ) : triggers.isError ? (
        <ErrorNotice error={triggers.error} what="the triggers" retry={() => void triggers.refetch()} />
      ) : triggers.data.triggers.length === 0 ? (
        <p className="empty">No triggers run this function.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Triggers that run {fn.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">State</th>
                  <th scope="col">Version</th>
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
                    <td>{trigger.enabled ? 'enabled' : 'disabled'}</td>
                    <td>v{trigger.version}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {triggers.data.total > triggers.data.triggers.length && (
            <p className="muted">
              The first {triggers.data.triggers.length} of {triggers.data.total} triggers.
            </p>
          )}
        </>
      )}
    </>
  );
}

function DeleteFunction({ fn }: { fn: ComputeFunction }) {
  const client = useClient();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () =>
      answer(
        client.api.DELETE(`${V1}/compute-functions/{id}`, {
          params: { path: { workspace: client.workspace, id: fn.id } },
        }),
      ),
    onSuccess: async () => {
      queries.removeQueries({ queryKey: ['function', client.workspace, fn.id] });
      await queries.invalidateQueries({ queryKey: ['functions', client.workspace] });
      void navigate('/functions');
    },
  });
  return (
    <>
      <h2>Delete</h2>
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete function…
        </button>
      ) : (
        <div className="fn-confirm" role="group" aria-labelledby="delete-question">
          <p id="delete-question">
            Delete <strong>{fn.name}</strong>, its versions and its default trigger? This cannot be undone.
          </p>
          <div className="fn-actions">
            <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
              {remove.isPending ? 'Deleting…' : 'Yes, delete'}
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setConfirming(false);
                remove.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {remove.isError && (
        <p role="alert" className="field-error">
          Not deleted: {errorMessage(remove.error)}
        </p>
      )}
    </>
  );
}
