import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice, FunctionName, Loading } from '../../components';
import { formatJson, formatTime } from '../../format';
import { useClient } from '../../session-context';
import { FormError } from '../../widgets/api-errors';
import { parseJson } from '../../widgets/json-field';
import { listDrafts, type TriggerDraft } from './trigger-api';
import { TriggerFields, type TriggerFormValues, unplacedError } from './trigger-form';

/**
 * Drafts: triggers in progress, loosely checked. Publishing one checks it fully and creates a trigger with the
 * draft's id. The draft being edited is in the URL (`?draft=<id>`).
 */
export function DraftsSection() {
  const client = useClient();
  const [params] = useSearchParams();
  const open = params.get('draft');
  const drafts = useQuery({
    queryKey: ['trigger-drafts', client.workspace],
    queryFn: ({ signal }) => listDrafts(client, signal),
  });

  return (
    <section aria-labelledby="drafts-heading">
      <h2 id="drafts-heading">Drafts</h2>
      {open && <DraftEditor key={open} id={open} />}
      {drafts.isPending ? (
        <Loading what="drafts" />
      ) : drafts.isError ? (
        <ErrorNotice error={drafts.error} what="the drafts" retry={() => void drafts.refetch()} />
      ) : drafts.data.drafts.length === 0 ? (
        <p className="empty">
          No drafts. “Save as draft” in the new trigger form, or “Copy into a draft” on a trigger.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Trigger drafts, last changed first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Execution type</th>
                <th scope="col">Function</th>
                <th scope="col">Updated</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {drafts.data.drafts.map((draft) => (
                <tr key={draft.id} data-draft-id={draft.id}>
                  <td>
                    <Link to={`/triggers?draft=${draft.id}`} aria-current={draft.id === open ? 'true' : undefined}>
                      {draft.name || '(no name yet)'}
                    </Link>
                  </td>
                  <td>{draft.executionType ?? '—'}</td>
                  <td>{draft.functionId ? <FunctionName id={draft.functionId} /> : '—'}</td>
                  <td>{formatTime(draft.updatedAt)}</td>
                  <td>{draft.updatedBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function toValues(draft: TriggerDraft): TriggerFormValues {
  return {
    name: draft.name ?? '',
    description: draft.description,
    functionId: draft.functionId ?? '',
    executionType: draft.executionType ?? '',
    metadata: formatJson(draft.triggerMetadata),
  };
}

function DraftEditor({ id }: { id: string }) {
  const client = useClient();
  const draft = useQuery({
    queryKey: ['trigger-draft', client.workspace, id],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/function-triggers/drafts/{id}', {
          params: { path: { workspace: client.workspace, id } },
          signal,
        }),
      ),
    staleTime: Infinity,
  });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Not returned: Chromium's scrollIntoView answers a promise, and an effect may return only its cleanup.
    heading.current?.scrollIntoView({ block: 'start' });
  }, []);

  return (
    <div className="panel trigger-form" role="group" aria-labelledby="draft-heading">
      <h3 id="draft-heading" ref={heading}>
        Draft <span className="mono">{id}</span>
      </h3>
      {draft.isPending ? (
        <Loading what="the draft" />
      ) : draft.isError ? (
        <ErrorNotice error={draft.error} what="the draft" retry={() => void draft.refetch()} />
      ) : (
        <DraftForm draft={draft.data} />
      )}
    </div>
  );
}

function DraftForm({ draft }: { draft: TriggerDraft }) {
  const client = useClient();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [values, setValues] = useState(() => toValues(draft));
  const [parseError, setParseError] = useState<string | null>(null);
  const path = { workspace: client.workspace, id: draft.id };

  const save = async () => {
    const metadata = parseJson(values.metadata);
    if (!metadata.ok) {
      setParseError(`Not JSON: ${metadata.message}`);
      throw new Error('the metadata is not JSON');
    }
    setParseError(null);
    const saved = await answer(
      client.api.PUT('/workspace/{workspace}/api/v1/function-triggers/drafts/{id}', {
        params: { path },
        body: {
          name: values.name,
          description: values.description,
          ...(values.functionId ? { functionId: values.functionId } : {}),
          ...(values.executionType ? { executionType: values.executionType } : {}),
          triggerMetadata: metadata.value as Record<string, unknown>,
        },
      }),
    );
    queries.setQueryData(['trigger-draft', client.workspace, draft.id], saved);
    await queries.invalidateQueries({ queryKey: ['trigger-drafts', client.workspace] });
    return saved;
  };
  const saving = useMutation({ mutationFn: save });
  const publishing = useMutation({
    mutationFn: async () => {
      await save();
      return answer(
        client.api.POST('/workspace/{workspace}/api/v1/function-triggers/{draftId}/publish', {
          params: { path: { workspace: client.workspace, draftId: draft.id } },
        }),
      );
    },
    onSuccess: async (trigger) => {
      await queries.invalidateQueries({ queryKey: ['trigger-drafts', client.workspace] });
      await queries.invalidateQueries({ queryKey: ['triggers', client.workspace] });
      void navigate(`/triggers/${trigger.id}`);
    },
  });
  const removing = useMutation({
    mutationFn: () =>
      answer(client.api.DELETE('/workspace/{workspace}/api/v1/function-triggers/drafts/{id}', { params: { path } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['trigger-drafts', client.workspace] });
      void navigate('/triggers');
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    publishing.reset();
    saving.mutate();
  };
  // A parse error is shown at the field; the thrown marker is not an API error.
  const apiError = (error: unknown) => (parseError ? null : error);
  const error = apiError(publishing.error ?? saving.error);
  const busy = saving.isPending || publishing.isPending || removing.isPending;

  return (
    <form onSubmit={submit} noValidate>
      <p className="muted">
        Created by {draft.createdBy} on {formatTime(draft.createdAt)}; last changed by {draft.updatedBy} on{' '}
        {formatTime(draft.updatedAt)}. Publishing checks it in full and creates a trigger with this id. Metadata keys
        merge into the stored ones (one level deep): a key you remove here stays.
      </p>
      <TriggerFields values={values} onChange={setValues} error={error} parseError={parseError} />
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {saving.isPending ? 'Saving…' : 'Save draft'}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            saving.reset();
            publishing.mutate();
          }}
        >
          {publishing.isPending ? 'Publishing…' : 'Publish'}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => removing.mutate()}>
          Delete draft
        </button>
        <Link to="/triggers">Close</Link>
        <span role="status">{saving.isSuccess && 'Draft saved.'}</span>
      </div>
      <FormError error={unplacedError(error)} what={publishing.error ? 'Not published' : 'Not saved'} />
      <FormError error={removing.error} what="Not deleted" />
    </form>
  );
}
