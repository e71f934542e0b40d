import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { KvBuckets } from '@signalbox/contracts';
import { DEFAULT_SIGNATURE_TOLERANCE_MS, webhookDeliveryId, type WebhookSignatureProvider } from '@signalbox/crypto';
import { NatsClient } from '@signalbox/messaging';

import type { WebhookTrigger } from './inbound-trigger.index';

/**
 * Providers whose signature does not cover a delivery id (GitHub's and Shopify's id headers are not signed; Slack's
 * slash commands and generic HMAC senders have none): an identical signed request within the signature window
 * is a replay, answered with the first job.
 */
const REPLAYABLE: readonly WebhookSignatureProvider[] = ['github', 'shopify', 'slack', 'hmac-sha256'];
const REPLAY_WINDOW_MS = DEFAULT_SIGNATURE_TOLERANCE_MS;

/**
 * A signed request's identity: its body; for Slack, the signed timestamp (GitHub, Shopify and HMAC sign none);
 * and the event name GitHub and Shopify send beside the body (one body can come as two events, e.g. Shopify's
 * `orders/create` and `orders/updated`: two requests, not a replay).
 */
function signedRequestHash(
  provider: WebhookSignatureProvider,
  headers: Record<string, string>,
  rawBody: Buffer,
): string {
  const timestamp = provider === 'slack' ? (headers['x-slack-request-timestamp'] ?? '') : '';
  const event = headers['x-github-event'] ?? headers['x-shopify-topic'] ?? '';
  return createHash('sha256').update(`${timestamp}.${event}.`).update(rawBody).digest('hex');
}

/** What identifies one inbound request as a delivery the trigger may have had before. */
export interface DeliveryIdentity {
  /** The provider's delivery id (or the sender's idempotency key), if the request has one. */
  readonly deliveryId: string | null;
  /** The keys it is remembered under, each with how long a match counts as the same delivery. */
  readonly keys: ReadonlyArray<{ readonly key: string; readonly withinMs: number }>;
}

/**
 * De-duplication of inbound webhooks: a provider's redelivery (the same delivery id, within 24 h) and a replayed
 * signed request (the same signed bytes, within the signature window) are answered with the first job, kept in
 * the `webhookDeliveries` KV bucket.
 */
@Injectable()
export class WebhookDeduplication {
  private readonly logger = new Logger(WebhookDeduplication.name);

  constructor(private readonly nats: NatsClient) {}

  identify(
    trigger: WebhookTrigger,
    provider: WebhookSignatureProvider | undefined,
    headers: Record<string, string>,
    body: unknown,
    rawBody: Buffer,
  ): DeliveryIdentity {
    const deliveryId = webhookDeliveryId(provider, headers, body);
    const keys: Array<{ key: string; withinMs: number }> = [];
    const prefix = `${trigger.workspaceSlug}.${trigger.id}`;
    if (deliveryId) {
      keys.push({ key: `${prefix}.${createHash('sha256').update(deliveryId).digest('hex')}`, withinMs: Infinity });
    }
    // A signed request the same as one accepted within the signature window: a replay (the signature does not
    // cover the delivery id of these providers, so a replay with a new id would otherwise start a new run).
    if (trigger.triggerMetadata.params?.validateSignature === true && provider && REPLAYABLE.includes(provider)) {
      keys.push({
        key: `${prefix}.signed.${signedRequestHash(provider, headers, rawBody)}`,
        withinMs: REPLAY_WINDOW_MS,
      });
    }
    return { deliveryId: deliveryId ?? null, keys };
  }

  /** The job the first of these deliveries started, if one was accepted before (by this gateway's clock). */
  async firstJob(identity: DeliveryIdentity, receivedAt: Date): Promise<string | null> {
    for (const { key, withinMs } of identity.keys) {
      const seen = await this.seen(key);
      if (seen && receivedAt.getTime() - seen.at <= withinMs) return seen.jobId;
    }
    return null;
  }

  /**
   * Remembers the delivery's job, after the run is durable: a crash before this makes the retry publish the same
   * run id again (with a delivery id), which JetStream and the runtime de-duplicate.
   */
  async remember(identity: DeliveryIdentity, jobId: string, receivedAt: Date): Promise<void> {
    for (const { key } of identity.keys) {
      await this.put(key, jobId, receivedAt).catch((error: unknown) =>
        this.logger.warn(`remembering delivery ${identity.deliveryId ?? '(signed request)'} failed: ${String(error)}`),
      );
    }
  }

  /** The job a delivery (or signed request) started, and when that request was received; null if none in 24 h. */
  private async seen(key: string): Promise<{ jobId: string; at: number } | null> {
    try {
      const bucket = await this.nats.bucket(KvBuckets.webhookDeliveries.bucket);
      await this.nats.endOfTurn();
      const entry = await bucket.get(key);
      const value = entry?.operation === 'PUT' ? entry.json<{ jobId?: string; at?: number }>() : undefined;
      return entry && value?.jobId ? { jobId: value.jobId, at: value.at ?? entry.created.getTime() } : null;
    } catch (error) {
      // Without the look-up the run id still de-duplicates; answer as a first delivery.
      this.logger.warn(`delivery look-up failed: ${String(error)}`);
      return null;
    }
  }

  private async put(key: string, jobId: string, receivedAt: Date): Promise<void> {
    const bucket = await this.nats.bucket(KvBuckets.webhookDeliveries.bucket);
    await this.nats.endOfTurn();
    await bucket.put(key, JSON.stringify({ jobId, at: receivedAt.getTime() }));
  }
}
