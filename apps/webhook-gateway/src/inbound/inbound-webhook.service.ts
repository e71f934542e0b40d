import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import {
  SignalboxError,
  type WebhookAccepted,
  type WebhookChallenge,
  type WebhookIgnored,
  webhookRunId,
  type WebhookRunParams,
} from '@signalbox/contracts';
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
import { testSampleOf } from './test-sample';
import { TestSampleBuffer } from './test-samples.buffer';
import { WebhookDeduplication } from './webhook-deduplication';

const WEBHOOK_ACTOR = 'webhook';

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
 * Inbound webhook triggers, in the order a request meets them: find the trigger, check the provider's signature
 * (`SignatureCheck`: the signing secret is opened here, in the execution plane), parse and filter the body,
 * answer a redelivery with its first job (`WebhookDeduplication`), and otherwise make a durable run (EXECUTIONS,
 * Nats-Msg-Id = run id) and its `trigger.fired` before answering 202. Every outcome is kept as a test sample.
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
    private readonly deduplication: WebhookDeduplication,
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
    const delivery = this.deduplication.identify(trigger, provider, headers, body, request.rawBody);
    const firstJob = await this.deduplication.firstJob(delivery, request.receivedAt);
    if (firstJob) {
      this.outcomes.inc({ outcome: 'duplicate' });
      this.keepSample(trigger, request, headers, 'duplicate', firstJob);
      return { jobId: firstJob, duplicate: true };
    }

    try {
      await this.runQuota.assertRoom(trigger.workspaceSlug);
    } catch (error) {
      this.outcomes.inc({ outcome: 'quota_exceeded' });
      throw error;
    }
    const { deliveryId } = delivery;
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
    await this.deduplication.remember(delivery, runId, request.receivedAt);
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
    this.samples.add(trigger.workspaceSlug, trigger.id, testSampleOf(trigger, request, headers, outcome, jobId));
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
}
