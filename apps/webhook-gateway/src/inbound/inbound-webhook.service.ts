import { createHash, randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import {
  CREDENTIAL_LOOKING_NAME,
  KvBuckets,
  SignalboxError,
  type WebhookAccepted,
  type WebhookChallenge,
  type WebhookIgnored,
  webhookRunId,
  type WebhookRunParams,
  type WebhookTestSample,
} from '@signalbox/contracts';
import { DEFAULT_SIGNATURE_TOLERANCE_MS, webhookDeliveryId, type WebhookSignatureProvider } from '@signalbox/crypto';
import { compileStoredFilter, type RecordPredicate } from '@signalbox/filters';
import { NatsClient, publishTriggeredRun, RunQuota } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter } from 'prom-client';

import {
  type InboundRequest,
  InputSchemaCheck,
  normalizeHeaders,
  normalizeQuery,
  parseBody,
  withoutCredentials,
} from './inbound-request';
import { InboundTriggerIndex, type WebhookTrigger } from './inbound-trigger.index';
import { providerOf, SignatureCheck } from './signature-check';
import { TestSampleBuffer } from './test-samples.buffer';

const WEBHOOK_ACTOR = 'webhook';
const SAMPLE_BODY_MAX_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

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

/** The `challenge` of Slack's `url_verification` request (`{type, token, challenge}`), else undefined. */
function slackChallenge(body: unknown): string | undefined {
  const request = body as { type?: unknown; challenge?: unknown } | null;
  return request?.type === 'url_verification' &&
    typeof request.challenge === 'string' &&
    request.challenge.length <= 1024
    ? request.challenge
    : undefined;
}

/**
 * Inbound webhook triggers: finds the trigger, checks the provider's signature (the signing secret is opened
 * here, in the execution plane), answers a redelivery with its first job, and otherwise makes a durable run
 * (EXECUTIONS, Nats-Msg-Id = run id) and its `trigger.fired` before answering 202.
 */
@Injectable()
export class InboundWebhookService {
  private readonly logger = new Logger(InboundWebhookService.name);
  private readonly outcomes: Counter<'outcome'>;
  private readonly filters = new Map<string, { version: number; matches: RecordPredicate }>();

  constructor(
    private readonly index: InboundTriggerIndex,
    private readonly nats: NatsClient,
    private readonly signatures: SignatureCheck,
    private readonly samples: TestSampleBuffer,
    private readonly inputSchema: InputSchemaCheck,
    private readonly runQuota: RunQuota,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('signalbox_inbound_webhooks_total', 'Inbound webhook requests by outcome.', [
      'outcome',
    ]);
  }

  async accept(request: InboundRequest): Promise<WebhookAccepted | WebhookIgnored | WebhookChallenge> {
    if (!this.index.isLoaded) {
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the gateway is starting; retry shortly');
    }
    const trigger = request.triggerId
      ? this.index.byIdOf(request.workspace, request.triggerId)
      : this.index.byPathOf(request.workspace, request.path ?? '');
    if (!trigger) {
      this.outcomes.inc({ outcome: 'not_found' });
      throw new SignalboxError(
        'NOT_FOUND',
        request.triggerId
          ? `webhook trigger ${request.triggerId} not found`
          : `no webhook trigger at ${request.path ?? ''}`,
      );
    }
    if (!trigger.enabled) {
      this.outcomes.inc({ outcome: 'disabled' });
      throw new SignalboxError('INVALID_STATUS', `webhook trigger ${trigger.name} is disabled`);
    }

    const headers = normalizeHeaders(request.headers);
    const params = trigger.triggerMetadata.params ?? {};
    const provider = providerOf(params);
    if (params.validateSignature === true) {
      try {
        await this.signatures.verify(trigger, headers, request);
      } catch (error) {
        this.outcomes.inc({ outcome: 'signature_failed' });
        this.keepSample(trigger, request, headers, 'signature_failed', null);
        throw error;
      }
    }

    let body: unknown;
    try {
      body = parseBody(request.rawBody, headers['content-type']);
      const challenge = provider === 'slack' ? slackChallenge(body) : undefined;
      if (challenge !== undefined) {
        // Slack checks the URL before it sends events: echo its challenge (signed, when the trigger checks
        // signatures, like every Slack request), start nothing.
        this.outcomes.inc({ outcome: 'challenge' });
        this.keepSample(trigger, request, headers, 'challenge', null);
        return { challenge };
      }
      this.inputSchema.assertValid(trigger, body);
    } catch (error) {
      this.outcomes.inc({ outcome: 'invalid_body' });
      this.keepSample(trigger, request, headers, 'invalid_body', null);
      throw error;
    }
    if (!this.filterOf(trigger)({ headers, body })) {
      // Verified, but not an event this trigger wants (a provider template's event type): 200, nothing runs.
      this.outcomes.inc({ outcome: 'filtered' });
      this.keepSample(trigger, request, headers, 'filtered', null);
      return { ignored: true, reason: 'the request does not match the trigger filter' };
    }
    const deliveryId = webhookDeliveryId(provider, headers, body);
    const deliveryKey = deliveryId
      ? `${trigger.workspaceSlug}.${trigger.id}.${createHash('sha256').update(deliveryId).digest('hex')}`
      : null;
    // A signed request the same as one accepted within the signature window: a replay (the signature does not
    // cover the delivery id of these providers, so a replay with a new id would otherwise start a new run).
    const replayKey =
      params['validateSignature'] === true && provider && REPLAYABLE.includes(provider)
        ? `${trigger.workspaceSlug}.${trigger.id}.signed.${signedRequestHash(provider, headers, request.rawBody)}`
        : null;
    for (const [key, within] of [
      [deliveryKey, Infinity],
      [replayKey, REPLAY_WINDOW_MS],
    ] as const) {
      if (!key) continue;
      const seen = await this.seen(key);
      if (seen && request.receivedAt.getTime() - seen.at <= within) {
        this.outcomes.inc({ outcome: 'duplicate' });
        this.keepSample(trigger, request, headers, 'duplicate', seen.jobId);
        return { jobId: seen.jobId, duplicate: true };
      }
    }

    try {
      await this.runQuota.assertRoom(trigger.workspaceSlug);
    } catch (error) {
      this.outcomes.inc({ outcome: 'quota_exceeded' });
      throw error;
    }
    const runId = deliveryId ? webhookRunId(trigger.workspaceSlug, trigger.id, deliveryId) : randomUUID();
    const executionParams: WebhookRunParams = {
      method: request.method,
      path: trigger.triggerMetadata.path,
      headers: withoutCredentials(headers),
      query: normalizeQuery(request.query),
      body,
      rawBody: request.rawBody.toString('base64'),
      receivedAt: request.receivedAt.toISOString(),
      ...(deliveryId ? { deliveryId } : {}),
    };
    await this.dispatch(trigger, runId, executionParams);
    // After the run is durable: a crash before this line makes the retry publish the same run id again (with a
    // delivery id), which JetStream and the runtime de-duplicate.
    for (const key of [deliveryKey, replayKey]) {
      if (!key) continue;
      await this.remember(key, runId, request.receivedAt).catch((error: unknown) =>
        this.logger.warn(`remembering delivery ${deliveryId ?? '(signed request)'} failed: ${String(error)}`),
      );
    }
    this.outcomes.inc({ outcome: 'accepted' });
    this.keepSample(trigger, request, headers, 'accepted', runId);
    return { jobId: runId };
  }

  /** The trigger's `filter` over `{ headers, body }`, compiled once per trigger version (none matches all). */
  private filterOf(trigger: WebhookTrigger): RecordPredicate {
    const cached = this.filters.get(trigger.id);
    if (cached?.version === trigger.version) return cached.matches;
    const matches = compileStoredFilter(trigger.triggerMetadata.filter, (reason) =>
      this.logger.error(`webhook trigger ${trigger.id}: filter refused, nothing will run: ${reason}`),
    );
    this.filters.set(trigger.id, { version: trigger.version, matches });
    return matches;
  }

  /** Keeps the request as a test sample (buffered, written off the request's path). */
  private keepSample(
    trigger: WebhookTrigger,
    request: InboundRequest,
    headers: Record<string, string>,
    outcome: string,
    jobId: string | null,
  ): void {
    const text = utf8OrNull(request.rawBody.subarray(0, SAMPLE_BODY_MAX_BYTES));
    const sample: WebhookTestSample = {
      receivedAt: request.receivedAt.toISOString(),
      method: request.method,
      path: trigger.triggerMetadata.path,
      headers: redactSecrets(withoutCredentials(headers)),
      query: redactSecrets(normalizeQuery(request.query)),
      body: text ?? request.rawBody.subarray(0, SAMPLE_BODY_MAX_BYTES).toString('base64'),
      bodyEncoding: text === null ? 'base64' : 'utf8',
      bodyTruncated: request.rawBody.length > SAMPLE_BODY_MAX_BYTES,
      outcome,
      jobId,
    };
    this.samples.add(trigger.workspaceSlug, trigger.id, sample);
  }

  private async dispatch(trigger: WebhookTrigger, runId: string, params: WebhookRunParams): Promise<void> {
    try {
      await publishTriggeredRun(this.nats, {
        trigger,
        runId,
        executionParams: params,
        requestedBy: WEBHOOK_ACTOR,
        timestamp: params.receivedAt,
        source: { method: params.method, path: params.path, deliveryId: params.deliveryId },
      });
    } catch (error) {
      this.logger.warn(`webhook run ${runId} could not be queued: ${String(error)}`);
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the webhook could not be queued; nothing was started, retry');
    }
  }

  /**
   * The job a delivery (or signed request) started, and when that request was received (by this gateway's clock,
   * the one replays are measured with); null if none within 24 h.
   */
  private async seen(key: string): Promise<{ jobId: string; at: number } | null> {
    try {
      const entry = await (await this.nats.bucket(KvBuckets.webhookDeliveries.bucket)).get(key);
      const value = entry?.operation === 'PUT' ? entry.json<{ jobId?: string; at?: number }>() : undefined;
      return entry && value?.jobId ? { jobId: value.jobId, at: value.at ?? entry.created.getTime() } : null;
    } catch (error) {
      // Without the look-up the run id still de-duplicates; answer as a first delivery.
      this.logger.warn(`delivery look-up failed: ${String(error)}`);
      return null;
    }
  }

  private async remember(key: string, jobId: string, receivedAt: Date): Promise<void> {
    await (
      await this.nats.bucket(KvBuckets.webhookDeliveries.bucket)
    ).put(key, JSON.stringify({ jobId, at: receivedAt.getTime() }));
  }
}

/** Test samples are shown to users: values of headers that look like they carry a secret are masked. */
/** Values of headers and query parameters whose names look like credentials, as `[redacted]`. */
function redactSecrets<T>(values: Record<string, T>): Record<string, T | string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, CREDENTIAL_LOOKING_NAME.test(name) ? '[redacted]' : value]),
  );
}

function utf8OrNull(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
