import type { CreateWebhookSubscription, WebhookSubscription } from '@signalbox/sdk';
import { useId } from 'react';

import { fieldError } from '../../widgets/api-errors';
import { JsonField, parseJson } from '../../widgets/json-field';
import { TextField } from '../../widgets/text-field';

export type WebhookEvent = CreateWebhookSubscription['events'][number];

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'record.created',
  'record.updated',
  'record.deleted',
  'record.restored',
  'record.reverted',
  'function.completed',
  'function.failed',
  'trigger.fired',
  'function.cancelled',
];

/** What the form holds, as typed. */
export interface WebhookDraft {
  readonly name: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly filters: string;
  readonly retrySchedule: string;
}

export const EMPTY_DRAFT: WebhookDraft = { name: '', url: '', events: [], filters: '{}', retrySchedule: '1, 5, 15' };

export function draftOf(webhook: WebhookSubscription): WebhookDraft {
  return {
    name: webhook.name,
    url: webhook.url,
    events: WEBHOOK_EVENTS.filter((event) => webhook.events.includes(event)),
    filters: JSON.stringify(webhook.filters, null, 2),
    retrySchedule: webhook.retrySchedule.join(', '),
  };
}

export type WebhookBody = Pick<CreateWebhookSubscription, 'name' | 'url' | 'events' | 'filters' | 'retrySchedule'>;

/** Problems found before sending, by field. */
export interface LocalErrors {
  readonly filters?: string;
  readonly retrySchedule?: string;
}

/** The body to send, or what is wrong with the draft (the JSON of the filters, the retry schedule). */
export function bodyOf(draft: WebhookDraft): { body: WebhookBody } | { errors: LocalErrors } {
  const errors: { filters?: string; retrySchedule?: string } = {};
  const filters = parseJson(draft.filters.trim() || '{}');
  if (!filters.ok) errors.filters = `Not JSON: ${filters.message}`;
  else if (typeof filters.value !== 'object' || filters.value === null || Array.isArray(filters.value)) {
    errors.filters = 'Filters must be a JSON object, e.g. {"structure": "orders"}.';
  }
  const parts = draft.retrySchedule
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.some((part) => !/^\d+$/.test(part))) {
    errors.retrySchedule = 'Whole numbers of seconds, separated by commas (e.g. 1, 5, 15); empty for no retry.';
  }
  if (errors.filters || errors.retrySchedule) return { errors };
  return {
    body: {
      name: draft.name.trim(),
      url: draft.url.trim(),
      events: [...draft.events],
      filters: (filters as { value: WebhookBody['filters'] }).value,
      retrySchedule: parts.map(Number),
    },
  };
}

/** The fields of a subscription, for the create form and the edit form; each shows the error about it. */
export function WebhookFields({
  draft,
  onChange,
  error,
  local,
}: {
  draft: WebhookDraft;
  onChange: (draft: WebhookDraft) => void;
  error: unknown;
  local: LocalErrors;
}) {
  const id = useId();
  const set = (changes: Partial<WebhookDraft>) => onChange({ ...draft, ...changes });
  const nameError = fieldError(error, 'name');
  const urlError = fieldError(error, 'url');
  const eventsError = fieldError(error, 'events');
  const retryError = local.retrySchedule ?? fieldError(error, 'retrySchedule');
  return (
    <>
      <TextField
        id={`${id}-name`}
        label="Name"
        value={draft.name}
        onChange={(name) => set({ name })}
        error={nameError}
        required
      />
      <TextField
        id={`${id}-url`}
        label="URL"
        hint="http(s) address that receives a POST for each event"
        value={draft.url}
        onChange={(url) => set({ url })}
        error={urlError}
        type="url"
        required
      />
      <fieldset className="events-field" aria-describedby={eventsError ? `${id}-events-error` : undefined}>
        <legend>Events</legend>
        <div className="checks">
          {WEBHOOK_EVENTS.map((event) => (
            <label key={event} className="check">
              <input
                type="checkbox"
                checked={draft.events.includes(event)}
                onChange={(e) =>
                  set({
                    events: e.target.checked
                      ? WEBHOOK_EVENTS.filter((known) => known === event || draft.events.includes(known))
                      : draft.events.filter((known) => known !== event),
                  })
                }
              />{' '}
              <span className="mono">{event}</span>
            </label>
          ))}
        </div>
        {eventsError && (
          <p id={`${id}-events-error`} role="alert" className="field-error">
            {eventsError}
          </p>
        )}
      </fieldset>
      <JsonField
        label="Filters (JSON: structure, query; they apply to record events)"
        value={draft.filters}
        onChange={(filters) => set({ filters })}
        error={local.filters ?? fieldError(error, 'filters')}
      />
      <TextField
        id={`${id}-retry`}
        label="Retry schedule (seconds)"
        hint="seconds before each retry, e.g. 1, 5, 15; empty for no retry"
        value={draft.retrySchedule}
        onChange={(retrySchedule) => set({ retrySchedule })}
        error={retryError}
      />
    </>
  );
}
