import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type BulkReplayRequest,
  type Delivery,
  type DeliveryJob,
  type DeliveryList,
  type DeliveryListRequest,
  type DeliveryReplayRequest,
  type DisableWebhookRequest,
  type Disposition,
  Dispositions,
  outboundDeliveryId,
  Subjects,
  WEBHOOK_TEST_EVENT,
  type WebhookConfig,
  type WebhookEvent,
  type WebhookReplayResult,
  type WebhookTestRequest,
  type WebhookTestResult,
} from '@signalbox/contracts';
import { NatsClient, requestService } from '@signalbox/messaging';
import { inSpan, MetricsService, SpanKind, SpanStatusCode } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { DeliveryQueue } from './delivery.queue';
import { DeliveryRepository, type DeliveryRow, type NewDelivery, toDelivery } from './delivery.repository';
import { type Attempt, DeliverySender } from './delivery.sender';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/** Waiting for a free slot of a busy endpoint: not an attempt, just a short wait. */
const BUSY_ENDPOINT_RETRY_MS = 200;
const HEALTHY_FOR_MS = 60_000;
/** A subscription this replica has not seen yet may be brand new (its KV watch lags): wait this long for it. */
const UNKNOWN_SUBSCRIPTION_GRACE_MS = 30_000;

/**
 * Outbound deliveries, from the platform event to the last attempt: the fan-out of an event to its
 * subscriptions, each queued attempt (the delivery row is the truth: how many attempts were made and when the
 * next is due), the test event, the list and the replays behind data-service's routes. Its callers, the
 * consumers and the request-reply controller, only decode and answer.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly inFlight = new Map<string, number>();
  /**
   * When this replica last recorded a success per subscription: another success within HEALTHY_FOR_MS needs no
   * write (the hot path); after that it is written again, since another replica may have recorded a failure.
   */
  private readonly healthy = new Map<string, number>();
  private readonly created: Counter<'event'>;
  private readonly attempts: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;

  constructor(
    private readonly nats: NatsClient,
    private readonly index: SubscriptionIndex,
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly sender: DeliverySender,
    @Inject(OUTBOUND_SETTINGS) private readonly settings: OutboundSettings,
    metrics: MetricsService,
  ) {
    this.created = metrics.counter('signalbox_webhook_deliveries_created_total', 'Outbound deliveries created.', [
      'event',
    ]);
    this.attempts = metrics.counter('signalbox_webhook_attempts_total', 'Outbound delivery attempts by outcome.', [
      'outcome',
    ]);
    this.latency = metrics.histogram(
      'signalbox_webhook_attempt_seconds',
      'Outbound delivery attempts: from request to response.',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  /**
   * One delivery per subscription that matches the event. The delivery id is derived from (event,
   * subscription), so an event handled twice creates and queues nothing twice. Resolves once they are stored
   * and queued.
   */
  async fanOut(event: WebhookEvent): Promise<void> {
    const subscriptions = this.index.matching(event);
    if (subscriptions.length === 0) return;
    // The exact bytes every attempt sends: the event as published, serialized once.
    const body = JSON.stringify({
      id: event.id,
      event: event.event,
      workspace: event.workspace,
      timestamp: event.timestamp,
      data: event.data,
    });
    const deliveries: NewDelivery[] = subscriptions.map((subscription) => ({
      id: outboundDeliveryId(event.workspace, event.id, subscription.id),
      workspace: event.workspace,
      webhookId: subscription.id,
      eventId: event.id,
      event: event.event,
      body,
    }));
    await this.queue.enqueue(deliveries);
    this.created.inc({ event: event.event }, deliveries.length);
  }

  /**
   * The next attempt of a queued delivery, when it is due. Between attempts the job waits in JetStream (the
   * `retry` disposition with the backoff), so a restart mid-backoff loses nothing and, since each attempt is
   * recorded under its number, duplicates nothing. `working` keeps the job while a slow endpoint answers.
   */
  async attempt(job: DeliveryJob, working: () => void): Promise<Disposition> {
    const delivery = await this.deliveries.find(job.deliveryId, job.createdAt);
    if (!delivery || delivery.status !== 'pending') return Dispositions.ack(); // done already, or never stored
    const due = (delivery.next_attempt_at?.getTime() ?? 0) - Date.now();
    if (due > 50) return Dispositions.retry(due); // redelivered early (a restart): wait for the decided backoff
    const config = this.index.get(job.workspace, job.webhookId);
    if (!config && Date.now() - delivery.created_at.getTime() < UNKNOWN_SUBSCRIPTION_GRACE_MS) {
      return Dispositions.retry(1_000); // created by a replica that already knows it; this one's index will follow
    }
    if (!config || !config.enabled) {
      await this.finishWithout(delivery, config ? 'the webhook is disabled' : 'the webhook was deleted');
      return Dispositions.ack();
    }
    const busy = this.inFlight.get(config.id) ?? 0;
    if (busy >= this.settings.perEndpointConcurrency) return Dispositions.retry(BUSY_ENDPOINT_RETRY_MS);
    this.inFlight.set(config.id, busy + 1);
    const heartbeat = setInterval(working, 5_000);
    let attempt: Attempt;
    try {
      const attributes = {
        'signalbox.workspace': job.workspace,
        'signalbox.webhook.id': config.id,
        'signalbox.delivery.id': delivery.id,
        'signalbox.delivery.attempt': delivery.attempts + 1,
        'signalbox.event': delivery.event,
      };
      attempt = await inSpan('webhook delivery attempt', { kind: SpanKind.CLIENT, attributes }, async (span) => {
        const sent = await this.sender.send(config, {
          deliveryId: delivery.id,
          event: delivery.event,
          body: delivery.body,
          attempt: delivery.attempts + 1,
        });
        if (sent.statusCode !== null) span.setAttribute('http.response.status_code', sent.statusCode);
        if (!sent.delivered) span.setStatus({ code: SpanStatusCode.ERROR, message: sent.error ?? 'not delivered' });
        return sent;
      });
    } finally {
      clearInterval(heartbeat);
      this.inFlight.set(config.id, (this.inFlight.get(config.id) ?? 1) - 1);
    }
    const retryInMs = retryDelay(config, attempt);
    const next = {
      status: attempt.delivered ? 'delivered' : retryInMs === null ? 'failed' : 'pending',
      nextAttemptAt: retryInMs === null ? null : new Date(Date.now() + retryInMs),
    } as const;
    const recorded = await this.deliveries.recordAttempt(delivery, attempt, next);
    if (recorded) {
      this.nats.publishLive(job.workspace, {
        type: 'delivery',
        deliveryId: delivery.id,
        webhookId: config.id,
        event: delivery.event,
        status: next.status,
        attempt: attempt.attempt,
        statusCode: attempt.statusCode,
        nextAttemptAt: next.nextAttemptAt?.toISOString() ?? null,
        at: new Date().toISOString(),
      });
    }
    const outcome = attempt.delivered ? 'delivered' : retryInMs === null ? 'failed' : 'retry';
    this.attempts.inc({ outcome });
    this.latency.observe({ outcome }, attempt.latencyMs / 1000);
    await this.trackHealth(config, attempt.delivered);
    return recorded && retryInMs !== null ? Dispositions.retry(retryInMs) : Dispositions.ack();
  }

  async list(request: DeliveryListRequest): Promise<DeliveryList> {
    const limit = request.limit ?? 50;
    const page = request.page ?? 1;
    const { deliveries, total } = await this.deliveries.list(request.workspace, request.webhookId, {
      status: request.status,
      limit,
      page,
    });
    return { deliveries, total, page, limit };
  }

  /** `webhook.test`: one attempt now, recorded as a delivery, never retried; the outcome is the answer. */
  async test(request: WebhookTestRequest): Promise<WebhookTestResult> {
    const id = randomUUID();
    const body = JSON.stringify({
      id: `test.${id}`,
      event: WEBHOOK_TEST_EVENT,
      workspace: request.workspace,
      timestamp: new Date().toISOString(),
      data: { webhookId: request.webhookId, message: 'This is a test event from Signalbox.' },
    });
    const delivery: NewDelivery = {
      id,
      workspace: request.workspace,
      webhookId: request.webhookId,
      eventId: `test.${id}`,
      event: WEBHOOK_TEST_EVENT,
      body,
    };
    const attempt = await this.sender.send(request.config, {
      deliveryId: id,
      event: WEBHOOK_TEST_EVENT,
      body,
      attempt: 1,
    });
    await this.deliveries.recordTest(delivery, attempt, attempt.delivered ? 'delivered' : 'failed');
    return {
      delivered: attempt.delivered,
      deliveryId: id,
      statusCode: attempt.statusCode,
      latencyMs: attempt.latencyMs,
      error: attempt.error,
      responseBody: attempt.responseBody,
    };
  }

  /** A new delivery of the same event (same event id, same bytes), with the subscription's retries. */
  async replayOne(request: DeliveryReplayRequest): Promise<Delivery | null> {
    const original = await this.deliveries.findIn(request.workspace, request.webhookId, request.deliveryId);
    if (!original) return null;
    const replay = replayOf(original);
    await this.queue.enqueue([replay]);
    const stored = await this.deliveries.find(replay.id);
    return stored ? toDelivery(stored) : null;
  }

  async replay(request: BulkReplayRequest): Promise<WebhookReplayResult> {
    const originals = await this.deliveries.inRange(
      request.workspace,
      request.webhookId,
      request,
      this.settings.maxReplay,
    );
    const replays = originals.map(replayOf);
    await this.queue.enqueue(replays);
    return { replayed: replays.length, deliveryIds: replays.map((replay) => replay.id) };
  }

  private async finishWithout(delivery: DeliveryRow, reason: string): Promise<void> {
    await this.deliveries.recordAttempt(
      delivery,
      { attempt: delivery.attempts + 1, statusCode: null, latencyMs: 0, error: reason, responseBody: null },
      { status: 'failed', nextAttemptAt: null },
    );
    this.attempts.inc({ outcome: 'skipped' });
  }

  /** A subscription that has failed every attempt for `disableAfterMs` is disabled (by data-service, its owner). */
  private async trackHealth(config: WebhookConfig, delivered: boolean): Promise<void> {
    try {
      if (delivered) {
        if (Date.now() - (this.healthy.get(config.id) ?? 0) < HEALTHY_FOR_MS) return;
        await this.deliveries.markSuccess(config.workspaceSlug, config.id);
        this.healthy.set(config.id, Date.now());
        return;
      }
      this.healthy.delete(config.id);
      const failingSince = await this.deliveries.markFailure(config.workspaceSlug, config.id, config.updatedAt);
      if (Date.now() - failingSince.getTime() < this.settings.disableAfterMs) return;
      const days = Math.round(this.settings.disableAfterMs / 86_400_000);
      const request: DisableWebhookRequest = {
        workspace: config.workspaceSlug,
        webhookId: config.id,
        reason: `every delivery failed since ${failingSince.toISOString()} (${days > 0 ? `${days} days` : 'the configured period'}); enable it again once the endpoint works`,
      };
      await requestService(this.nats, Subjects.dataDisableWebhook, request, 5_000);
      this.logger.warn(`webhook ${config.id} disabled: ${request.reason}`);
    } catch (error) {
      this.logger.warn(`health of webhook ${config.id} not recorded: ${String(error)}`);
    }
  }
}

/** The wait before the next attempt, or null when that was the last one (seed: 1 s, 5 s, 15 s). */
function retryDelay(config: WebhookConfig, attempt: Attempt): number | null {
  if (attempt.delivered) return null;
  const seconds = config.retrySchedule[attempt.attempt - 1];
  return seconds === undefined ? null : seconds * 1000;
}

function replayOf(original: DeliveryRow): NewDelivery {
  return {
    id: randomUUID(),
    workspace: original.workspace_slug,
    webhookId: original.webhook_id,
    eventId: original.event_id,
    event: original.event,
    body: original.body,
    replayOf: original.id,
  };
}
