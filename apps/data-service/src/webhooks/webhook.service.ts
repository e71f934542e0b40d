import { randomBytes, randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import {
  type CreateWebhook,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  type Deleted,
  type ErrorDetail,
  type ListQuery,
  PREVIOUS_SECRET_GRACE_MS,
  SignalboxError,
  type UpdateWebhook,
  type Webhook,
  type WebhookFilters,
  type WebhookList,
} from '@signalbox/contracts';
import { SecretSealer } from '@signalbox/crypto';
import { checkRecordFilter } from '@signalbox/filters';
import { FetchRefused, vetUrl } from '@signalbox/net-guard';

import type { Actor } from '../common/actor';
import { parseListQuery } from '../common/list-query';
import { ConfigPublisher } from '../config-sync/config-publisher.service';
import { WEBHOOK_URL_POLICY, type WebhookUrlPolicy } from './webhook.constants';
import { toWebhook, toWebhookConfig } from './webhook.mapper';
import { WEBHOOK_SORT_FIELDS, type WebhookRecord, WebhookRepository } from './webhook.repository';

export const webhookNotFound = (id: string) => new SignalboxError('NOT_FOUND', `Webhook with ID ${id} not found`);

/** A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries expect. */
export const generateSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const hintOf = (secret: string) => `${secret.slice(0, secret.startsWith('whsec_') ? 10 : 4)}...`;

/**
 * Outbound webhook subscriptions (seed 001): configuration, owned here. Secrets are sealed before they are
 * stored and shown once; every committed change is published to the `webhooks` KV bucket for the gateway.
 */
@Injectable()
export class WebhookService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly sealer: SecretSealer,
    private readonly publisher: ConfigPublisher,
    @Inject(WEBHOOK_URL_POLICY) private readonly urlPolicy: WebhookUrlPolicy,
  ) {}

  async create(actor: Actor, body: CreateWebhook): Promise<Webhook> {
    checkFilters(body.filters);
    await this.checkUrl(body.url);
    const id = randomUUID();
    const secret = body.secret ?? generateSecret();
    const now = new Date();
    const record: WebhookRecord = {
      id,
      workspaceSlug: actor.workspace,
      name: body.name,
      url: body.url,
      events: [...body.events],
      filters: body.filters ?? {},
      retrySchedule: [...(body.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_SECONDS)],
      enabled: body.enabled ?? true,
      disabledReason: null,
      secret: await this.sealer.seal(secret, { workspace: actor.workspace, ownerId: id, param: 'secret' }),
      secretHint: hintOf(secret),
      previousSecret: null,
      previousSecretUntil: null,
      createdBy: actor.subject,
      updatedBy: actor.subject,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    this.publisher.assertPublishable('webhook subscription', toWebhookConfig(record), 'filters');
    const created = await this.webhooks.insert(record);
    await this.publisher.publishWebhook(toWebhookConfig(created));
    return { ...toWebhook(created), secret };
  }

  async list(actor: Actor, query: ListQuery): Promise<WebhookList> {
    const list = parseListQuery(query, { search: ['name'], sort: WEBHOOK_SORT_FIELDS });
    const [records, total] = await this.webhooks.list(actor.workspace, {
      limit: list.limit,
      page: list.page,
      search: list.search?.term,
      sort: list.sort,
    });
    return { webhooks: records.map(toWebhook), total, page: list.page, limit: list.limit };
  }

  async get(actor: Actor, id: string): Promise<Webhook> {
    return toWebhook(await this.find(actor.workspace, id));
  }

  /** A new generated secret, shown once in the answer; the old one signs beside it for 24 h. */
  rotateSecret(actor: Actor, id: string): Promise<Webhook> {
    return this.update(actor, id, { secret: generateSecret() });
  }

  /** The record with its sealed secrets, for the gateway calls that need the config (test). */
  async find(workspace: string, id: string): Promise<WebhookRecord> {
    const found = await this.webhooks.find(workspace, id);
    if (!found) throw webhookNotFound(id);
    return found;
  }

  async update(actor: Actor, id: string, body: UpdateWebhook): Promise<Webhook> {
    if (body.filters !== undefined) checkFilters(body.filters);
    if (body.url !== undefined) await this.checkUrl(body.url);
    const sealed =
      body.secret === undefined
        ? undefined
        : await this.sealer.seal(body.secret, { workspace: actor.workspace, ownerId: id, param: 'secret' });
    const updated = await this.webhooks.update(actor.workspace, id, (current) => {
      const next: WebhookRecord = {
        ...current,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.events !== undefined ? { events: [...body.events] } : {}),
        ...(body.filters !== undefined ? { filters: body.filters } : {}),
        ...(body.retrySchedule !== undefined ? { retrySchedule: [...body.retrySchedule] } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled, disabledReason: null } : {}),
        // A new secret: the old one keeps signing beside it for 24 h, so receivers can switch without a gap.
        ...(sealed && body.secret !== undefined
          ? {
              secret: sealed,
              secretHint: hintOf(body.secret),
              previousSecret: current.secret,
              previousSecretUntil: new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS),
            }
          : {}),
        updatedBy: actor.subject,
      };
      this.publisher.assertPublishable('webhook subscription', toWebhookConfig(next), 'filters');
      return next;
    });
    if (!updated) throw webhookNotFound(id);
    await this.publisher.publishWebhook(toWebhookConfig(updated));
    return { ...toWebhook(updated), ...(body.secret !== undefined ? { secret: body.secret } : {}) };
  }

  async delete(actor: Actor, id: string): Promise<Deleted> {
    if (!(await this.webhooks.delete(actor.workspace, id))) throw webhookNotFound(id);
    await this.publisher.removeWebhook(actor.workspace, id);
    return { id, deleted: true };
  }

  /** Asked by the gateway: a subscription that failed every delivery for too long. */
  async disable(workspace: string, id: string, reason: string): Promise<void> {
    const updated = await this.webhooks.update(workspace, id, (current) =>
      current.enabled ? { ...current, enabled: false, disabledReason: reason, updatedBy: 'webhook-gateway' } : current,
    );
    if (updated) await this.publisher.publishWebhook(toWebhookConfig(updated));
  }

  private async checkUrl(raw: string): Promise<void> {
    const refuse = (message: string) => new SignalboxError('VALIDATION_ERROR', message, [{ path: ['url'], message }]);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('url must be an absolute http(s) URL');
    }
    try {
      await vetUrl(url, {
        ...this.urlPolicy,
        label: 'webhook url',
        timeoutMs: 0,
        maxResponseBytes: 0,
        maxRedirects: 0,
      });
    } catch (error) {
      if (error instanceof FetchRefused) throw refuse(error.message);
      throw refuse(`url ${url.host} does not resolve: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function checkFilters(filters: WebhookFilters | undefined): void {
  if (filters?.query === undefined) return;
  const problems: ErrorDetail[] = checkRecordFilter(filters.query, ['filters', 'query']);
  if (problems.length > 0) throw new SignalboxError('VALIDATION_ERROR', problems[0].message, problems);
}
