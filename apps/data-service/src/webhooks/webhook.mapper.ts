import type { Webhook, WebhookConfig } from '@signalbox/contracts';

import type { WebhookRecord } from './webhook.repository';

/** The API's view: secrets never leave sealed, only a hint of the current one. */
export function toWebhook(record: WebhookRecord): Webhook {
  return {
    id: record.id,
    name: record.name,
    url: record.url,
    events: record.events,
    filters: record.filters,
    retrySchedule: record.retrySchedule,
    enabled: record.enabled,
    disabledReason: record.disabledReason,
    secretHint: record.secretHint,
    workspaceSlug: record.workspaceSlug,
    createdBy: record.createdBy,
    updatedBy: record.updatedBy,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    version: record.version,
  };
}

/** The gateway's view (KV bucket `webhooks`): with the sealed secrets, which only the gateway can open. */
export function toWebhookConfig(record: WebhookRecord): WebhookConfig {
  return {
    id: record.id,
    workspaceSlug: record.workspaceSlug,
    url: record.url,
    events: record.events,
    filters: record.filters,
    retrySchedule: record.retrySchedule,
    enabled: record.enabled,
    secret: record.secret,
    previousSecret: record.previousSecret,
    previousSecretUntil: record.previousSecretUntil?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    version: record.version,
    updatedAt: record.updatedAt.toISOString(),
  };
}
