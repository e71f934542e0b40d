import type { Delivery } from '@signalbox/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useId, useState } from 'react';

import { answer } from '../../api';
import { ErrorNotice, JsonBlock, Loading } from '../../components';
import { formatTime, shortId } from '../../format';
import { useClient } from '../../session-context';
import { fieldError, FormError } from '../../widgets/api-errors';
import { Pager } from '../../widgets/pager';
import { TextField } from '../../widgets/text-field';
import { useLiveDeliveries } from './live-deliveries';

type DeliveryStatus = Delivery['status'];
const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
const LIMIT = 20;
const ONE = '/workspace/{workspace}/api/v1/webhooks/{id}' as const;

/** The subscription's deliveries, newest first, live: status filter, paging, every attempt, replay. */
export function Deliveries({ webhookId }: { webhookId: string }) {
  const client = useClient();
  const live = useLiveDeliveries(webhookId);
  const [status, setStatus] = useState<DeliveryStatus | null>(null);
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());

  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', client.workspace, webhookId, { status, page, limit: LIMIT }],
    queryFn: ({ signal }) =>
      answer(
        client.api.GET(`${ONE}/deliveries`, {
          params: {
            path: { workspace: client.workspace, id: webhookId },
            query: { page, limit: LIMIT, ...(status ? { status } : {}) },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const total = deliveries.data?.total ?? 0;
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="deliveries-heading" className="deliveries">
      <h2 id="deliveries-heading">Deliveries</h2>
      <p className="muted live-deliveries" data-live={live}>
        {live === 'live'
          ? 'New attempts appear as they happen.'
          : live === 'connecting'
            ? 'Connecting to the delivery stream…'
            : 'Delivery stream interrupted: reconnecting…'}
      </p>
      <div className="toolbar">
        <label htmlFor="delivery-status">Status</label>
        <select
          id="delivery-status"
          value={status ?? ''}
          onChange={(event) => {
            setStatus((event.target.value || null) as DeliveryStatus | null);
            setPage(1);
          }}
        >
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {deliveries.isFetching && !deliveries.isPending && (
          <span className="muted" aria-hidden="true">
            updating…
          </span>
        )}
      </div>

      {deliveries.isPending ? (
        <Loading what="deliveries" />
      ) : deliveries.isError && !deliveries.data ? (
        <ErrorNotice error={deliveries.error} what="the deliveries" retry={() => void deliveries.refetch()} />
      ) : deliveries.data.deliveries.length === 0 ? (
        <p className="empty" role="status">
          {status
            ? `No ${status} deliveries.`
            : 'No deliveries yet: they appear here when a subscribed event happens, or after Send test.'}
        </p>
      ) : (
        <>
          {deliveries.isError && <ErrorNotice error={deliveries.error} what="the latest deliveries" />}
          <div className="table-wrap">
            <table className="deliveries-table">
              <caption className="visually-hidden">
                Deliveries of this subscription, newest first{status ? `, status ${status}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Delivery</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Created</th>
                  <th scope="col">Next retry</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.deliveries.map((delivery) => (
                  <Fragment key={delivery.id}>
                    <tr data-delivery-id={delivery.id} data-status={delivery.status}>
                      <td>
                        <button
                          type="button"
                          className="link-button mono"
                          aria-expanded={open.has(delivery.id)}
                          aria-controls={`attempts-${delivery.id}`}
                          aria-label={`Attempts of delivery ${delivery.id}`}
                          onClick={() => toggle(delivery.id)}
                        >
                          {open.has(delivery.id) ? '▾' : '▸'} {shortId(delivery.id)}
                        </button>
                        {delivery.replayOf && <span className="muted"> replay of {shortId(delivery.replayOf)}</span>}
                      </td>
                      <td className="mono">{delivery.event}</td>
                      <td>
                        <DeliveryBadge status={delivery.status} />
                      </td>
                      <td>{delivery.attempts.length}</td>
                      <td>{formatTime(delivery.createdAt)}</td>
                      <td>{delivery.status === 'pending' ? formatTime(delivery.nextAttemptAt) : '—'}</td>
                      <td>
                        <ReplayOne webhookId={webhookId} delivery={delivery} />
                      </td>
                    </tr>
                    {open.has(delivery.id) && (
                      <tr className="attempts-row">
                        <td colSpan={7} id={`attempts-${delivery.id}`}>
                          <Attempts delivery={delivery} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            page={page}
            limit={LIMIT}
            total={total}
            things={['delivery', 'deliveries']}
            onPage={(p) => setPage(p)}
          />
        </>
      )}

      <ReplaySince webhookId={webhookId} />
    </section>
  );
}

function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  const look = status === 'delivered' ? 'completed' : status === 'failed' ? 'failed' : 'queued';
  return (
    <span className={`badge badge-${look}`} data-delivery-status={status}>
      {status}
    </span>
  );
}

function Attempts({ delivery }: { delivery: Delivery }) {
  return (
    <div className="attempts">
      <p className="muted">
        Event id <span className="mono">{delivery.eventId}</span>; delivery id{' '}
        <span className="mono">{delivery.id}</span>
        {delivery.completedAt ? `; finished ${formatTime(delivery.completedAt)}` : ''}
        {delivery.status === 'pending' && delivery.nextAttemptAt
          ? `; next attempt at ${formatTime(delivery.nextAttemptAt)}`
          : ''}
      </p>
      {delivery.attempts.length === 0 ? (
        <p className="empty">No attempt yet.</p>
      ) : (
        <table className="attempts-table">
          <caption className="visually-hidden">Attempts of delivery {delivery.id}</caption>
          <thead>
            <tr>
              <th scope="col">Attempt</th>
              <th scope="col">At</th>
              <th scope="col">Status code</th>
              <th scope="col">Latency</th>
              <th scope="col">Error</th>
              <th scope="col">Response (excerpt)</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((attempt) => (
              <tr key={attempt.attempt} data-attempt={attempt.attempt}>
                <td>{attempt.attempt}</td>
                <td>{formatTime(attempt.at)}</td>
                <td className="mono">{attempt.statusCode ?? '—'}</td>
                <td>{attempt.latencyMs} ms</td>
                <td className={attempt.error ? 'field-error' : undefined}>{attempt.error ?? '—'}</td>
                <td>
                  {attempt.responseBody ? (
                    <pre className="excerpt" tabIndex={0} aria-label={`Response to attempt ${attempt.attempt}`}>
                      {attempt.responseBody}
                    </pre>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="request-label">Request body, the same bytes on every attempt:</p>
      <JsonBlock value={delivery.payload} label={`Request body of delivery ${delivery.id}`} />
    </div>
  );
}

function ReplayOne({ webhookId, delivery }: { webhookId: string; delivery: Delivery }) {
  const client = useClient();
  const queries = useQueryClient();
  const replay = useMutation({
    mutationFn: () =>
      answer(
        client.api.POST(`${ONE}/deliveries/{deliveryId}/replay`, {
          params: { path: { workspace: client.workspace, id: webhookId, deliveryId: delivery.id } },
        }),
      ),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['webhook-deliveries', client.workspace, webhookId] }),
  });
  return (
    <span className="replay-one">
      <button
        type="button"
        className="secondary"
        disabled={replay.isPending}
        aria-label={`Replay delivery ${delivery.id}`}
        onClick={() => replay.mutate()}
      >
        Replay
      </button>
      <span role="status" className="muted">
        {replay.data ? ` Replayed as ${shortId(replay.data.id)}.` : ''}
      </span>
      <FormError error={replay.error} what="Not replayed" />
    </span>
  );
}

/** `datetime-local` value of an instant, in the browser's time zone. */
function localInput(date: Date): string {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

function ReplaySince({ webhookId }: { webhookId: string }) {
  const client = useClient();
  const queries = useQueryClient();
  const id = useId();
  const [since, setSince] = useState(() => localInput(new Date(Date.now() - 60 * 60_000)));
  const [status, setStatus] = useState<DeliveryStatus | ''>('failed');
  const [local, setLocal] = useState<string | null>(null);
  const replay = useMutation({
    mutationFn: (body: { since: string; status?: DeliveryStatus }) =>
      answer(
        client.api.POST(`${ONE}/replay`, {
          params: { path: { workspace: client.workspace, id: webhookId } },
          body,
        }),
      ),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['webhook-deliveries', client.workspace, webhookId] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const at = new Date(since);
    if (!since || Number.isNaN(at.getTime())) return setLocal('A date and time.');
    setLocal(null);
    replay.mutate({ since: at.toISOString(), ...(status ? { status } : {}) });
  };
  return (
    <form className="panel replay-since" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Replay deliveries since a time</h3>
      <p className="muted">Each matching delivery is sent again as a new delivery with the same event id.</p>
      <div className="inline-fields">
        <TextField
          id={`${id}-since`}
          label="Since"
          type="datetime-local"
          value={since}
          onChange={setSince}
          error={local ?? fieldError(replay.error, 'since')}
        />
        <div className="field">
          <label htmlFor={`${id}-status`} className="field-label">
            Of status
          </label>
          <select
            id={`${id}-status`}
            value={status}
            onChange={(event) => setStatus(event.target.value as DeliveryStatus | '')}
          >
            <option value="failed">failed</option>
            <option value="delivered">delivered</option>
            <option value="pending">pending</option>
            <option value="">any</option>
          </select>
        </div>
        <button type="submit" disabled={replay.isPending}>
          Replay {status || 'all'} deliveries
        </button>
      </div>
      <p role="status">
        {replay.data
          ? `Replayed ${replay.data.replayed} ${replay.data.replayed === 1 ? 'delivery' : 'deliveries'}.`
          : ''}
      </p>
      <FormError error={replay.error} what="Not replayed" />
    </form>
  );
}
