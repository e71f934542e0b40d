import { type Provider, type ProviderTrigger, SignalboxError } from '@signalbox/contracts';

interface CatalogEntry {
  readonly provider: Omit<Provider, 'triggerCount'>;
  /** `filter` is a MongoDB-style condition over `{ headers, body }` of the request (header names lower-cased). */
  readonly triggers: ReadonlyArray<{
    id: string;
    name: string;
    description: string;
    eventType: string;
    filter: Record<string, unknown>;
  }>;
}

/**
 * Built-in provider templates (StackAI `/providers`): each is a webhook trigger with the provider's signature
 * check and a filter on the provider's event type, so one endpoint per event can be set up in one call.
 */
const CATALOG: readonly CatalogEntry[] = [
  {
    provider: {
      id: 'stripe',
      name: 'Stripe',
      description: 'Payments: customers, invoices, charges.',
      signature: 'stripe',
      docsUrl: 'https://docs.stripe.com/webhooks',
    },
    triggers: [
      {
        id: 'customer.created',
        name: 'Customer created',
        description: 'A new customer was created.',
        eventType: 'customer.created',
        filter: { 'body.type': 'customer.created' },
      },
      {
        id: 'invoice.paid',
        name: 'Invoice paid',
        description: 'An invoice was paid.',
        eventType: 'invoice.paid',
        filter: { 'body.type': 'invoice.paid' },
      },
      {
        id: 'invoice.payment_failed',
        name: 'Payment failed',
        description: 'An invoice payment attempt failed.',
        eventType: 'invoice.payment_failed',
        filter: { 'body.type': 'invoice.payment_failed' },
      },
    ],
  },
  {
    provider: {
      id: 'github',
      name: 'GitHub',
      description: 'Repositories: pushes, pull requests, issues.',
      signature: 'github',
      docsUrl: 'https://docs.github.com/webhooks',
    },
    triggers: [
      {
        id: 'push',
        name: 'Push',
        description: 'Commits were pushed to a branch or tag.',
        eventType: 'push',
        filter: { 'headers.x-github-event': 'push' },
      },
      {
        id: 'pull_request.opened',
        name: 'Pull request opened',
        description: 'A pull request was opened.',
        eventType: 'pull_request.opened',
        filter: { 'headers.x-github-event': 'pull_request', 'body.action': 'opened' },
      },
      {
        id: 'issues.opened',
        name: 'Issue opened',
        description: 'An issue was opened.',
        eventType: 'issues.opened',
        filter: { 'headers.x-github-event': 'issues', 'body.action': 'opened' },
      },
    ],
  },
  {
    provider: {
      id: 'slack',
      name: 'Slack',
      description: 'Events API: messages and mentions.',
      signature: 'slack',
      docsUrl: 'https://api.slack.com/apis/events-api',
    },
    triggers: [
      {
        id: 'message',
        name: 'Message',
        description: 'A message was posted in a channel the app is in.',
        eventType: 'message',
        filter: { 'body.type': 'event_callback', 'body.event.type': 'message' },
      },
      {
        id: 'app_mention',
        name: 'App mention',
        description: 'The app was mentioned in a message.',
        eventType: 'app_mention',
        filter: { 'body.type': 'event_callback', 'body.event.type': 'app_mention' },
      },
    ],
  },
  {
    provider: {
      id: 'clerk',
      name: 'Clerk',
      description: 'Users and sessions (signed with Svix: svix-id, svix-timestamp, svix-signature).',
      signature: 'standard-webhooks',
      docsUrl: 'https://clerk.com/docs/webhooks/overview',
    },
    triggers: [
      {
        id: 'user.created',
        name: 'User created',
        description: 'A user signed up or was created.',
        eventType: 'user.created',
        filter: { 'body.type': 'user.created' },
      },
      {
        id: 'user.updated',
        name: 'User updated',
        description: "A user's profile changed.",
        eventType: 'user.updated',
        filter: { 'body.type': 'user.updated' },
      },
      {
        id: 'user.deleted',
        name: 'User deleted',
        description: 'A user was deleted.',
        eventType: 'user.deleted',
        filter: { 'body.type': 'user.deleted' },
      },
    ],
  },
];

const toTemplate = (entry: CatalogEntry, trigger: CatalogEntry['triggers'][number]): ProviderTrigger => ({
  id: trigger.id,
  providerId: entry.provider.id,
  name: trigger.name,
  description: trigger.description,
  eventType: trigger.eventType,
  executionType: 'webhook',
  triggerMetadata: {
    path: `/${entry.provider.id}/${trigger.id.replace(/[^A-Za-z0-9\-._~]/g, '-')}`,
    params: { provider: entry.provider.signature, validateSignature: true },
    filter: trigger.filter,
  },
  requires: ['triggerMetadata.params.signingSecret'],
});

export function listProviders(): Provider[] {
  return CATALOG.map((entry) => ({ ...entry.provider, triggerCount: entry.triggers.length }));
}

function entryOf(providerId: string): CatalogEntry {
  const entry = CATALOG.find((candidate) => candidate.provider.id === providerId);
  if (!entry) throw new SignalboxError('NOT_FOUND', `provider ${providerId} not found`);
  return entry;
}

export function providerTriggers(providerId: string): ProviderTrigger[] {
  const entry = entryOf(providerId);
  return entry.triggers.map((trigger) => toTemplate(entry, trigger));
}

export function providerTrigger(providerId: string, triggerId: string): ProviderTrigger {
  const entry = entryOf(providerId);
  const trigger = entry.triggers.find((candidate) => candidate.id === triggerId);
  if (!trigger) throw new SignalboxError('NOT_FOUND', `provider trigger ${providerId}/${triggerId} not found`);
  return toTemplate(entry, trigger);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The execution type and metadata of a trigger made from a template: the template's metadata, with the
 * creator's `path`, `params` (the signing secret) and other fields laid over it (params merged one level).
 */
export function fromTemplate(
  providerId: string,
  triggerId: string,
  given: Record<string, unknown>,
): { executionType: 'webhook'; triggerMetadata: Record<string, unknown> } {
  const template = providerTrigger(providerId, triggerId);
  const base = template.triggerMetadata;
  const params = {
    ...(isObject(base['params']) ? base['params'] : {}),
    ...(isObject(given['params']) ? given['params'] : {}),
  };
  return { executionType: 'webhook', triggerMetadata: { ...base, ...given, params } };
}
