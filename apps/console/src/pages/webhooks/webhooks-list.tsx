import './webhooks.css';

import type { WebhookSubscription } from '@signalbox/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { answer } from '../../api';
import { ErrorNotice, Loading } from '../../components';
import { useClient } from '../../session-context';
import { FormError } from '../../widgets/api-errors';
import { Pager } from '../../widgets/pager';
import { SecretOnce } from '../../widgets/secret-once';
import { bodyOf, EMPTY_DRAFT, type LocalErrors, WebhookFields } from './webhook-fields';

const LIMIT = 50;

export function WebhooksListPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ id: string; name: string; secret: string } | null>(null);

  const webhooks = useQuery({
    queryKey: ['webhooks', client.workspace, { page, limit: LIMIT }],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET('/workspace/{workspace}/api/v1/webhooks', {
          params: {
            path: { workspace: client.workspace },
            query: { page, limit: LIMIT, sort: JSON.stringify([{ field: 'createdAt', direction: 'desc' }]) },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const setPage = (next: number) => {
    const search = new URLSearchParams(params);
    if (next > 1) search.set('page', String(next));
    else search.delete('page');
    setParams(search);
  };
  const total = webhooks.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / LIMIT));

  return (
    <section aria-labelledby="webhooks-heading">
      <h1 id="webhooks-heading">Outbound webhooks</h1>
      <p className="muted">
        Subscriptions: Signalbox POSTs each chosen event of workspace {client.workspace} to their URL, signed and
        retried.
      </p>

      {created && (
        <div className="notice notice-ok">
          <p role="status">
            Created <Link to={`/webhooks/${created.id}`}>{created.name}</Link>.
          </p>
          <SecretOnce secret={created.secret} title="Signing secret of the new subscription" />
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}

      <div className="toolbar">
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {creating ? 'Close the form' : 'New subscription'}
        </button>
      </div>
      {creating && (
        <CreateWebhook
          onCreated={(webhook) => {
            setCreated(webhook);
            setCreating(false);
          }}
        />
      )}

      {webhooks.isPending ? (
        <Loading what="subscriptions" />
      ) : webhooks.isError && !webhooks.data ? (
        <ErrorNotice error={webhooks.error} what="the subscriptions" retry={() => void webhooks.refetch()} />
      ) : webhooks.data.webhooks.length === 0 ? (
        <p className="empty" role="status">
          No subscriptions in {client.workspace} yet: create one with New subscription.
        </p>
      ) : (
        <>
          {webhooks.isError && <ErrorNotice error={webhooks.error} what="the latest subscriptions" />}
          <div className="table-wrap">
            <table className="webhooks">
              <caption className="visually-hidden">Outbound webhook subscriptions of {client.workspace}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Secret</th>
                </tr>
              </thead>
              <tbody>
                {webhooks.data.webhooks.map((webhook) => (
                  <WebhookRow key={webhook.id} webhook={webhook} />
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <Pager
              page={page}
              limit={LIMIT}
              total={total}
              things={['subscription', 'subscriptions']}
              onPage={(p) => setPage(p)}
            />
          )}
        </>
      )}
    </section>
  );
}

function WebhookRow({ webhook }: { webhook: WebhookSubscription }) {
  return (
    <tr data-webhook-id={webhook.id}>
      <td>
        <Link to={`/webhooks/${webhook.id}`}>{webhook.name}</Link>
      </td>
      <td className="mono url-cell">{webhook.url}</td>
      <td>
        <ul className="plain">
          {webhook.events.map((event) => (
            <li key={event} className="mono">
              {event}
            </li>
          ))}
        </ul>
      </td>
      <td>
        <EnabledBadge webhook={webhook} />
      </td>
      <td className="mono">{webhook.secretHint}</td>
    </tr>
  );
}

export function EnabledBadge({ webhook }: { webhook: WebhookSubscription }) {
  return (
    <>
      <span className={`badge ${webhook.enabled ? 'badge-enabled' : 'badge-disabled'}`}>
        {webhook.enabled ? 'enabled' : 'disabled'}
      </span>
      {!webhook.enabled && webhook.disabledReason && <span className="disabled-reason"> {webhook.disabledReason}</span>}
    </>
  );
}

function CreateWebhook({ onCreated }: { onCreated: (created: { id: string; name: string; secret: string }) => void }) {
  const client = useClient();
  const queries = useQueryClient();
  const [draft, setDraft] = useState(EMPTY_DRAFT);
  const [local, setLocal] = useState<LocalErrors>({});
  const create = useMutation({
    mutationFn: (body: NonNullable<Parameters<typeof client.webhooks.create>[0]>) =>
      answer(
        client.api.POST('/workspace/{workspace}/api/v1/webhooks', {
          params: { path: { workspace: client.workspace } },
          body,
        }),
      ),
    onSuccess: (webhook) => {
      void queries.invalidateQueries({ queryKey: ['webhooks', client.workspace] });
      onCreated({ id: webhook.id, name: webhook.name, secret: webhook.secret ?? '' });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = bodyOf(draft);
    if ('errors' in parsed) return setLocal(parsed.errors);
    setLocal({});
    create.mutate(parsed.body);
  };
  return (
    <form className="panel webhook-form" onSubmit={submit} noValidate aria-labelledby="create-webhook-heading">
      <h2 id="create-webhook-heading">New subscription</h2>
      <WebhookFields draft={draft} onChange={setDraft} error={create.error} local={local} />
      <p className="muted">
        A signing secret (whsec_…) is generated and shown once, after the subscription is created.
      </p>
      <div className="action">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create subscription'}
        </button>
      </div>
      <FormError error={create.error} what="Not created" />
    </form>
  );
}
