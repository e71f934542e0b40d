import './webhooks.css';

import type { WebhookSubscription } from '@signalbox/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice, JsonBlock, Loading } from '../../components';
import { formatTime } from '../../format';
import { useClient } from '../../session-context';
import { FormError } from '../../widgets/api-errors';
import { SecretOnce } from '../../widgets/secret-once';
import { Deliveries } from './deliveries';
import { bodyOf, draftOf, type LocalErrors, type WebhookBody, WebhookFields } from './webhook-fields';
import { EnabledBadge } from './webhooks-list';

const ONE = '/workspace/{workspace}/api/v1/webhooks/{id}' as const;

export function WebhookDetailPage() {
  const { id = '' } = useParams();
  const client = useClient();
  const webhook = useQuery({
    queryKey: ['webhook', client.workspace, id],
    queryFn: ({ signal }) =>
      answer(client.api.GET(ONE, { params: { path: { workspace: client.workspace, id } }, signal })),
  });
  return (
    <section aria-labelledby="webhook-heading">
      <p className="crumbs">
        <Link to="/webhooks">← All subscriptions</Link>
      </p>
      <h1 id="webhook-heading">
        Outbound webhook {webhook.data ? webhook.data.name : <span className="mono">{id}</span>}
      </h1>
      {webhook.isPending ? (
        <Loading what="the subscription" />
      ) : webhook.isError && !webhook.data ? (
        <ErrorNotice error={webhook.error} what="the subscription" retry={() => void webhook.refetch()} />
      ) : (
        <WebhookBody webhook={webhook.data} />
      )}
    </section>
  );
}

/** PATCH the subscription; the answer replaces the cached one. */
function usePatch(webhook: WebhookSubscription) {
  const client = useClient();
  const queries = useQueryClient();
  return (body: Partial<WebhookBody> & { enabled?: boolean; secret?: string }) =>
    answer(client.api.PATCH(ONE, { params: { path: { workspace: client.workspace, id: webhook.id } }, body })).then(
      (updated) => {
        const { secret: _secret, ...shown } = updated;
        queries.setQueryData(['webhook', client.workspace, webhook.id], shown);
        void queries.invalidateQueries({ queryKey: ['webhooks', client.workspace] });
        return updated;
      },
    );
}

function WebhookBody({ webhook }: { webhook: WebhookSubscription }) {
  const [saved, setSaved] = useState(false);
  return (
    <>
      <div className="status-line">
        <EnabledBadge webhook={webhook} />
        <EnableAction webhook={webhook} />
      </div>

      <h2>Summary</h2>
      <dl className="facts">
        <dt>URL</dt>
        <dd className="mono url-cell">{webhook.url}</dd>
        <dt>Events</dt>
        <dd className="mono">{webhook.events.join(', ')}</dd>
        <dt>Retry schedule</dt>
        <dd>
          {webhook.retrySchedule.length === 0
            ? 'no retry'
            : `${webhook.retrySchedule.map((s) => `${s} s`).join(', ')} (${webhook.retrySchedule.length} ${
                webhook.retrySchedule.length === 1 ? 'retry' : 'retries'
              })`}
        </dd>
        <dt>Secret</dt>
        <dd className="mono" data-secret-hint="">
          {webhook.secretHint}
        </dd>
        <dt>Created</dt>
        <dd>
          {formatTime(webhook.createdAt)} by {webhook.createdBy}
        </dd>
        <dt>Updated</dt>
        <dd>
          {formatTime(webhook.updatedAt)} by {webhook.updatedBy} (version {webhook.version})
        </dd>
      </dl>
      {Object.keys(webhook.filters).length > 0 && <JsonBlock value={webhook.filters} label="Filters" />}

      <h2>Test and secret</h2>
      <div className="actions-row">
        <TestAction webhook={webhook} />
        <RotateAction webhook={webhook} />
      </div>

      <h2 id="edit-heading">Edit</h2>
      {saved && (
        <p role="status" className="ok-text">
          Saved.
        </p>
      )}
      <EditWebhook key={webhook.version} webhook={webhook} onSaved={() => setSaved(true)} />

      <Deliveries webhookId={webhook.id} />

      <h2>Delete</h2>
      <DeleteAction webhook={webhook} />
    </>
  );
}

function EnableAction({ webhook }: { webhook: WebhookSubscription }) {
  const patch = usePatch(webhook);
  const toggle = useMutation({ mutationFn: () => patch({ enabled: !webhook.enabled }) });
  return (
    <span className="action">
      <button type="button" className="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
        {webhook.enabled ? 'Disable' : 'Enable'}
      </button>
      <FormError error={toggle.error} what={webhook.enabled ? 'Not disabled' : 'Not enabled'} />
    </span>
  );
}

function TestAction({ webhook }: { webhook: WebhookSubscription }) {
  const client = useClient();
  const queries = useQueryClient();
  const test = useMutation({
    mutationFn: () =>
      answer(client.api.POST(`${ONE}/test`, { params: { path: { workspace: client.workspace, id: webhook.id } } })),
    onSettled: () => void queries.invalidateQueries({ queryKey: ['webhook-deliveries', client.workspace, webhook.id] }),
  });
  const result = test.data;
  return (
    <div className="action-block">
      <button type="button" disabled={test.isPending} onClick={() => test.mutate()}>
        {test.isPending ? 'Sending…' : 'Send test'}
      </button>
      <span className="muted"> POSTs a webhook.test event now: one attempt, no retry.</span>
      <div role="status" className="test-result">
        {result &&
          (result.delivered ? (
            <p className="ok-text">
              Test delivered: {result.statusCode} in {result.latencyMs} ms.
            </p>
          ) : (
            <p className="field-error">
              Test failed: {result.statusCode ?? 'no answer'} in {result.latencyMs} ms
              {result.error ? ` (${result.error})` : ''}.
            </p>
          ))}
        {result?.responseBody && (
          <pre className="excerpt" tabIndex={0} aria-label="Response of the test">
            {result.responseBody}
          </pre>
        )}
      </div>
      <FormError error={test.error} what="Test not sent" />
    </div>
  );
}

function RotateAction({ webhook }: { webhook: WebhookSubscription }) {
  const client = useClient();
  const queries = useQueryClient();
  const rotate = useMutation({
    mutationFn: () => client.webhooks.rotateSecret(webhook.id),
    onSuccess: (updated) => {
      // The answer holds the new secret: shown once below, never kept in the query cache.
      const { secret: _secret, ...shown } = updated;
      queries.setQueryData(['webhook', client.workspace, webhook.id], shown);
    },
  });
  return (
    <div className="action-block">
      <button type="button" className="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
        Rotate secret
      </button>
      <span className="muted">
        {' '}
        A new whsec_ secret made by the platform; the old one keeps signing beside it for 24 h.
      </span>
      {rotate.data?.secret && (
        <SecretOnce
          secret={rotate.data.secret}
          title="New signing secret"
          note="For 24 h deliveries carry the old secret's signature too."
        />
      )}
      <FormError error={rotate.error} what="Secret not changed" />
    </div>
  );
}

function EditWebhook({ webhook, onSaved }: { webhook: WebhookSubscription; onSaved: () => void }) {
  const patch = usePatch(webhook);
  const [draft, setDraft] = useState(() => draftOf(webhook));
  const [local, setLocal] = useState<LocalErrors>({});
  const save = useMutation({ mutationFn: patch, onSuccess: onSaved });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = bodyOf(draft);
    if ('errors' in parsed) return setLocal(parsed.errors);
    setLocal({});
    save.mutate(parsed.body);
  };
  return (
    <form className="panel webhook-form" onSubmit={submit} noValidate aria-labelledby="edit-heading">
      <WebhookFields draft={draft} onChange={setDraft} error={save.error} local={local} />
      <div className="action">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save changes'}
        </button>
      </div>
      <FormError error={save.error} what="Not saved" />
    </form>
  );
}

function DeleteAction({ webhook }: { webhook: WebhookSubscription }) {
  const client = useClient();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () =>
      answer(client.api.DELETE(ONE, { params: { path: { workspace: client.workspace, id: webhook.id } } })),
    onSuccess: () => {
      queries.removeQueries({ queryKey: ['webhook', client.workspace, webhook.id] });
      void queries.invalidateQueries({ queryKey: ['webhooks', client.workspace] });
      void navigate('/webhooks');
    },
  });
  return (
    <div className="action-block">
      {confirming ? (
        <div role="group" aria-label="Confirm deleting" className="confirm">
          <p>Delete {webhook.name}? Nothing more is delivered to it.</p>
          <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
            Delete subscription
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="secondary" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
      <FormError error={remove.error} what="Not deleted" />
    </div>
  );
}
