import './triggers.css';

import type { FunctionTrigger, UpdateFunctionTrigger } from '@signalbox/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice, FunctionName, JsonBlock, Loading } from '../../components';
import { errorMessage, formatJson, formatTime } from '../../format';
import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { JsonField, parseJson } from '../../widgets/json-field';
import { hasSealed, maskSealed, withoutSealed } from './trigger-api';
import { unplacedError } from './trigger-form';
import { TypeSections } from './trigger-sections';
import { EnabledBadge } from './triggers-list';

export function TriggerDetailPage() {
  const { id = '' } = useParams();
  const client = useClient();
  const trigger = useQuery({
    queryKey: ['trigger', client.workspace, id],
    queryFn: () => client.triggers.get(id),
  });

  return (
    <section aria-labelledby="trigger-heading">
      <p className="crumbs">
        <Link to="/triggers">← All triggers</Link>
      </p>
      <h1 id="trigger-heading">Trigger {trigger.data ? trigger.data.name : <span className="mono">{id}</span>}</h1>
      {trigger.isPending ? (
        <Loading what="the trigger" />
      ) : trigger.isError ? (
        <ErrorNotice error={trigger.error} what="the trigger" retry={() => void trigger.refetch()} />
      ) : (
        <TriggerBody trigger={trigger.data} />
      )}
    </section>
  );
}

function TriggerBody({ trigger }: { trigger: FunctionTrigger }) {
  return (
    <>
      <div className="status-line">
        <span className="badge badge-type">{trigger.executionType}</span>
        <EnabledBadge enabled={trigger.enabled} />
        <EnableAction trigger={trigger} />
        <Link to={`/runs?triggerId=${trigger.id}`}>Runs of this trigger</Link>
      </div>
      {trigger.isSystem && (
        <p className="muted">The function’s default trigger: it cannot be changed, disabled or deleted.</p>
      )}

      <h2>Summary</h2>
      <dl className="facts">
        <dt>Id</dt>
        <dd className="mono">{trigger.id}</dd>
        <dt>Execution type</dt>
        <dd>{trigger.executionType}</dd>
        <dt>Function</dt>
        <dd>
          <Link to={`/functions/${trigger.functionId}`}>
            <FunctionName id={trigger.functionId} />
          </Link>
        </dd>
        <dt>Description</dt>
        <dd>{trigger.description || '—'}</dd>
        <dt>Version</dt>
        <dd>{trigger.version}</dd>
        <dt>Created</dt>
        <dd>
          {formatTime(trigger.createdAt)} by {trigger.createdBy}
        </dd>
        <dt>Updated</dt>
        <dd>
          {formatTime(trigger.updatedAt)} by {trigger.updatedBy}
        </dd>
      </dl>

      <TypeSections trigger={trigger} />
      <MetadataSection trigger={trigger} />
      <CopyToDraft trigger={trigger} />
      <VersionsSection trigger={trigger} />
    </>
  );
}

function useRefreshTrigger(trigger: FunctionTrigger) {
  const client = useClient();
  const queries = useQueryClient();
  return async (next: FunctionTrigger) => {
    queries.setQueryData(['trigger', client.workspace, trigger.id], next);
    await Promise.all([
      queries.invalidateQueries({ queryKey: ['trigger-versions', client.workspace, trigger.id] }),
      queries.invalidateQueries({ queryKey: ['trigger-state', client.workspace, trigger.id] }),
      queries.invalidateQueries({ queryKey: ['triggers', client.workspace] }),
    ]);
  };
}

function EnableAction({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const refresh = useRefreshTrigger(trigger);
  const toggle = useMutation({
    mutationFn: () => (trigger.enabled ? client.triggers.disable(trigger.id) : client.triggers.enable(trigger.id)),
    onSuccess: refresh,
  });
  if (trigger.isSystem) return null;
  return (
    <span className="action">
      <button type="button" className="secondary" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
        {trigger.enabled ? 'Disable' : 'Enable'}
      </button>
      <span role="status" className="action-result">
        {toggle.isSuccess && (trigger.enabled ? 'Enabled.' : 'Disabled: it fires no more until enabled.')}
      </span>
      {toggle.isError && (
        <span role="alert" className="field-error">
          Refused: {errorMessage(toggle.error)}
        </span>
      )}
    </span>
  );
}

function MetadataSection({ trigger }: { trigger: FunctionTrigger }) {
  const [editing, setEditing] = useState(false);
  return (
    <section aria-labelledby="metadata-heading">
      <div className="section-head">
        <h2 id="metadata-heading">Metadata</h2>
        {!trigger.isSystem && !editing && (
          <button type="button" className="secondary" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
      </div>
      {editing ? (
        <EditForm trigger={trigger} onDone={() => setEditing(false)} />
      ) : (
        <>
          <JsonBlock value={maskSealed(trigger.triggerMetadata)} label="Trigger metadata" />
          {hasSealed(trigger.triggerMetadata) && (
            <p className="muted">Sealed secrets open only in the execution plane; the console never sees them.</p>
          )}
        </>
      )}
    </section>
  );
}

function EditForm({ trigger, onDone }: { trigger: FunctionTrigger; onDone: () => void }) {
  const id = useId();
  const client = useClient();
  const refresh = useRefreshTrigger(trigger);
  const [name, setName] = useState(trigger.name);
  const [description, setDescription] = useState(trigger.description);
  const [metadata, setMetadata] = useState(() => formatJson(trigger.triggerMetadata));
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (triggerMetadata: unknown) =>
      client.triggers.update(trigger.id, { name, description, triggerMetadata } as UpdateFunctionTrigger),
    onSuccess: async (next) => {
      await refresh(next);
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseJson(metadata);
    if (!parsed.ok) return setParseError(`Not JSON: ${parsed.message}`);
    setParseError(null);
    save.mutate(parsed.value);
  };
  const nameError = fieldError(save.error, 'name');
  const descriptionError = fieldError(save.error, 'description');

  return (
    <form className="panel trigger-form" onSubmit={submit} noValidate aria-label="Edit the trigger">
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(event) => setName(event.target.value)}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
        />
        {nameError && (
          <p id={`${id}-name-error`} role="alert" className="field-error">
            {nameError}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description</label>
        <input
          id={`${id}-description`}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          aria-invalid={descriptionError ? true : undefined}
          aria-describedby={descriptionError ? `${id}-description-error` : undefined}
        />
        {descriptionError && (
          <p id={`${id}-description-error`} role="alert" className="field-error">
            {descriptionError}
          </p>
        )}
      </div>
      <JsonField
        label="Trigger metadata (JSON)"
        value={metadata}
        onChange={setMetadata}
        error={parseError ?? fieldError(save.error, 'triggerMetadata')}
      />
      <p className="muted">
        Sealed secrets (<code>"encrypted": true</code>) keep their value when sent back unchanged; write{' '}
        <code>{'{"value": "…", "encrypt": true}'}</code> to set a new one. Keys merge into the stored ones one level
        deep: a top-level key you remove stays.
      </p>
      <div className="form-actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
      <FormError error={unplacedError(save.error, ['name', 'description', 'triggerMetadata'])} what="Not saved" />
    </form>
  );
}

/** A draft made from this trigger; publishing it creates another trigger (drafts never change a trigger). */
function CopyToDraft({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const copy = useMutation({
    mutationFn: () =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/function-triggers/drafts', {
          params: { path: { workspace: client.workspace } },
          body: {
            name: `${trigger.name} (copy)`.slice(0, 128),
            description: trigger.description,
            functionId: trigger.functionId,
            executionType: trigger.executionType,
            triggerMetadata: withoutSealed(trigger.triggerMetadata) as Record<string, unknown>,
          },
        }),
      ),
    onSuccess: async (draft) => {
      await queries.invalidateQueries({ queryKey: ['trigger-drafts', client.workspace] });
      void navigate(`/triggers?draft=${draft.id}`);
    },
  });
  return (
    <section aria-labelledby="draft-copy-heading">
      <h2 id="draft-copy-heading">Drafts</h2>
      <p className="muted">
        A draft copies this trigger for a new one: publishing it creates another trigger and leaves this one as it is.
        {hasSealed(trigger.triggerMetadata) && ' Sealed secrets are bound to this trigger and are not copied.'}
      </p>
      <span className="action">
        <button type="button" className="secondary" onClick={() => copy.mutate()} disabled={copy.isPending}>
          Copy into a draft
        </button>
        {copy.isError && (
          <span role="alert" className="field-error">
            Not copied: {errorMessage(copy.error)}
          </span>
        )}
      </span>
    </section>
  );
}

function VersionsSection({ trigger }: { trigger: FunctionTrigger }) {
  const client = useClient();
  const versions = useQuery({
    queryKey: ['trigger-versions', client.workspace, trigger.id],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/versions', {
          params: { path: { workspace: client.workspace, id: trigger.id } },
          signal,
        }),
      ),
  });
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      {versions.isPending ? (
        <Loading what="the versions" />
      ) : versions.isError ? (
        <ErrorNotice error={versions.error} what="the versions" retry={() => void versions.refetch()} />
      ) : versions.data.versions.length === 0 ? (
        <p className="empty">No versions recorded.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Versions of trigger {trigger.name}: who changed what, when</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Change</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
                <th scope="col">Snapshot</th>
              </tr>
            </thead>
            <tbody>
              {[...versions.data.versions]
                .sort((a, b) => b.version - a.version)
                .map((version) => (
                  <tr key={version.version}>
                    <td>{version.version}</td>
                    <td>{version.change}</td>
                    <td>{version.changedBy}</td>
                    <td>
                      <time dateTime={version.changedAt}>{formatTime(version.changedAt)}</time>
                    </td>
                    <td>
                      <details>
                        <summary>Show</summary>
                        <JsonBlock
                          value={maskSealed(version.snapshot)}
                          label={`Snapshot of version ${version.version}`}
                        />
                      </details>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
