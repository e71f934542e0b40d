import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Consumers,
  type DeliveryJob,
  type DisableWebhookRequest,
  Subjects,
  type WebhookConfig,
} from '@signalbox/contracts';
import { DurableConsumer, messagingLogger, NatsClient, requestService } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { DeliveryRepository, type DeliveryRow } from './delivery.repository';
import { type Attempt, DeliverySender } from './delivery.sender';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/** Waiting for a free slot of a busy endpoint: not an attempt, just a short wait. */
const BUSY_ENDPOINT_RETRY_MS = 200;
const HEARTBEAT_MS = 5_000;
const HEALTHY_FOR_MS = 60_000;
/** A subscription this replica has not seen yet may be brand new (its KV watch lags): wait this long for it. */
const UNKNOWN_SUBSCRIPTION_GRACE_MS = 30_000;

/**
 * Works the DELIVERIES queue (one durable consumer shared by every gateway replica). The delivery row is the
 * truth: how many attempts were made and when the next is due. Between attempts the job waits in JetStream
 * (`nak` with the backoff delay), so a restart of any service mid-backoff loses nothing and, since each
 * attempt is recorded under its number, duplicates nothing.
 */
@Injectable()
export class DeliveryWorker extends DurableConsumer {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly inFlight = new Map<string, number>();
  /**
   * When this replica last recorded a success per subscription: another success within HEALTHY_FOR_MS needs no
   * write (the hot path); after that it is written again, since another replica may have recorded a failure.
   */
  private readonly healthy = new Map<string, number>();
  private readonly attempts: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;

  constructor(
    private readonly nats: NatsClient,
    private readonly index: SubscriptionIndex,
    private readonly deliveries: DeliveryRepository,
    private readonly sender: DeliverySender,
    @Inject(OUTBOUND_SETTINGS) private readonly settings: OutboundSettings,
    metrics: MetricsService,
  ) {
    super(nats, {
      consumer: Consumers.gatewayDeliveries,
      concurrency: settings.deliveryConcurrency,
      logger: messagingLogger(new Logger(DeliveryWorker.name)),
    });
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

  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  protected async handle(message: JsMsg): Promise<void> {
    let job: DeliveryJob;
    try {
      job = message.json<DeliveryJob>();
    } catch {
      this.logger.error(`malformed delivery job (seq ${message.seq}); terminated`);
      message.term();
      return;
    }
    try {
      const delivery = await this.deliveries.find(job.deliveryId, job.createdAt);
      if (!delivery || delivery.status !== 'pending') {
        message.ack(); // done already (or never stored): nothing to send
        return;
      }
      const due = (delivery.next_attempt_at?.getTime() ?? 0) - Date.now();
      if (due > 50) {
        message.nak(due); // redelivered early (a restart): wait for the backoff that was decided
        return;
      }
      const config = this.index.get(job.workspace, job.webhookId);
      if (!config && Date.now() - delivery.created_at.getTime() < UNKNOWN_SUBSCRIPTION_GRACE_MS) {
        message.nak(1_000); // created by a replica that already knows it; this one's index will follow
        return;
      }
      if (!config || !config.enabled) {
        await this.finishWithout(delivery, config ? 'the webhook is disabled' : 'the webhook was deleted');
        message.ack();
        return;
      }
      const busy = this.inFlight.get(config.id) ?? 0;
      if (busy >= this.settings.perEndpointConcurrency) {
        message.nak(BUSY_ENDPOINT_RETRY_MS);
        return;
      }
      this.inFlight.set(config.id, busy + 1);
      const heartbeat = setInterval(() => message.working(), HEARTBEAT_MS);
      let attempt: Attempt;
      try {
        attempt = await this.sender.send(config, {
          deliveryId: delivery.id,
          event: delivery.event,
          body: delivery.body,
          attempt: delivery.attempts + 1,
        });
      } finally {
        clearInterval(heartbeat);
        this.inFlight.set(config.id, (this.inFlight.get(config.id) ?? 1) - 1);
      }
      const retryInMs = this.retryDelay(config, attempt);
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
      if (recorded && retryInMs !== null) message.nak(retryInMs);
      else message.ack();
    } catch (error) {
      this.logger.warn(`delivery ${job.deliveryId} could not be processed; retrying: ${String(error)}`);
      message.nak(5_000);
    }
  }

  /** The wait before the next attempt, or null when that was the last one (seed: 1 s, 5 s, 15 s). */
  private retryDelay(config: WebhookConfig, attempt: Attempt): number | null {
    if (attempt.delivered) return null;
    const seconds = config.retrySchedule[attempt.attempt - 1];
    return seconds === undefined ? null : seconds * 1000;
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
