import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import {
  ENDPOINT_TIMEOUT_MS,
  type EndpointAccepted,
  type RunFinished,
  SignalboxError,
  Subjects,
  type WebhookRunParams,
} from '@signalbox/contracts';
import { NatsClient, publishTriggeredRun, RunQuota } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { type EndpointResponse, errorResponse, responseFromResult } from './endpoint-response';
import {
  type InboundRequest,
  InputSchemaCheck,
  normalizeHeaders,
  normalizeQuery,
  parseBody,
  withoutCredentials,
} from './inbound-request';
import { type EndpointTrigger, InboundTriggerIndex } from './inbound-trigger.index';
import { SignatureCheck } from './signature-check';

const ENDPOINT_ACTOR = 'endpoint';
const JOB_ID_HEADER = 'x-signalbox-job-id';

/**
 * Endpoint triggers (synchronous): the call becomes a durable run like any other (EXECUTIONS, so a runtime
 * that dies mid-run does not lose it), and the caller waits for the runtime's RunFinished notice until the
 * trigger's deadline. Its result shapes the response; past the deadline the caller gets 202 with the job id
 * (or 504 if the trigger says so) and the run goes on.
 */
@Injectable()
export class EndpointService {
  private readonly logger = new Logger(EndpointService.name);
  private readonly outcomes: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;

  constructor(
    private readonly index: InboundTriggerIndex,
    private readonly nats: NatsClient,
    private readonly inputSchema: InputSchemaCheck,
    private readonly runQuota: RunQuota,
    private readonly signatures: SignatureCheck,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('signalbox_endpoint_calls_total', 'Endpoint trigger calls by outcome.', [
      'outcome',
    ]);
    this.latency = metrics.histogram(
      'signalbox_endpoint_call_seconds',
      'Endpoint trigger calls: from request to response.',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
  }

  async call(request: InboundRequest): Promise<EndpointResponse> {
    if (!this.index.isLoaded) {
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the gateway is starting; retry shortly');
    }
    const path = request.path ?? '';
    const found = this.index.endpointOf(request.workspace, path, request.method);
    if (!found) {
      this.outcomes.inc({ outcome: 'not_found' });
      throw new SignalboxError('NOT_FOUND', `no endpoint trigger at ${path}`);
    }
    if ('allowed' in found) {
      this.outcomes.inc({ outcome: 'method_not_allowed' });
      return errorResponse('METHOD_NOT_ALLOWED', `${path} answers ${found.allowed.join(', ')}`, {
        headers: { allow: found.allowed.join(', ') },
      });
    }
    const trigger = found.trigger;
    if (!trigger.enabled) {
      this.outcomes.inc({ outcome: 'disabled' });
      throw new SignalboxError('INVALID_STATUS', `endpoint trigger ${trigger.name} is disabled`);
    }

    const headers = normalizeHeaders(request.headers);
    if (trigger.triggerMetadata.params?.validateSignature === true) {
      try {
        await this.signatures.verify(trigger, headers, request);
      } catch (error) {
        this.outcomes.inc({ outcome: 'signature_failed' });
        throw error;
      }
    }
    const body = parseBody(request.rawBody, headers['content-type']);
    this.inputSchema.assertValid(trigger, body);
    await this.runQuota.assertRoom(trigger.workspaceSlug);
    const executionParams: WebhookRunParams = {
      method: request.method,
      path,
      headers: withoutCredentials(headers),
      query: normalizeQuery(request.query),
      body,
      rawBody: request.rawBody.toString('base64'),
      receivedAt: request.receivedAt.toISOString(),
    };
    const runId = randomUUID();
    const deadline = request.receivedAt.getTime() + timeoutOf(trigger);
    let finished: ReturnType<EndpointService['waitFor']> | undefined;
    try {
      finished = this.waitFor(runId);
      await publishTriggeredRun(this.nats, {
        trigger,
        runId,
        executionParams,
        requestedBy: ENDPOINT_ACTOR,
        timestamp: executionParams.receivedAt,
        source: { method: request.method, path },
        notifyFinished: true,
      });
    } catch (error) {
      finished?.cancel();
      this.logger.warn(`endpoint run ${runId} could not be queued: ${String(error)}`);
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the call could not be queued; nothing was started, retry');
    }
    const notice = await finished.until(deadline);
    const [outcome, response] = this.respond(trigger, runId, notice);
    this.outcomes.inc({ outcome });
    this.latency.observe({ outcome }, (Date.now() - request.receivedAt.getTime()) / 1000);
    return { ...response, headers: { ...response.headers, [JOB_ID_HEADER]: runId } };
  }

  private respond(trigger: EndpointTrigger, jobId: string, notice: RunFinished | null): [string, EndpointResponse] {
    if (!notice) {
      if (trigger.triggerMetadata.timeoutResponse === 'gateway-timeout') {
        return [
          'deadline_504',
          errorResponse('GATEWAY_TIMEOUT', 'the function did not answer in time; it goes on running', { jobId }),
        ];
      }
      const accepted: EndpointAccepted = {
        jobId,
        status: 'running',
        statusUrl: `/workspace/${trigger.workspaceSlug}/api/v1/function-runs/${jobId}`,
      };
      return [
        'deadline_202',
        { status: 202, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(accepted) },
      ];
    }
    if (notice.status === 'completed') {
      if (notice.resultOmitted) {
        return [
          'result_too_large',
          errorResponse('INTERNAL', 'the result is too large for a synchronous answer; the run records it', { jobId }),
        ];
      }
      return ['completed', responseFromResult(notice.result)];
    }
    if (notice.status === 'timed_out') {
      return ['timed_out', errorResponse('GATEWAY_TIMEOUT', 'the function ran out of time', { jobId })];
    }
    if (notice.status === 'cancelled') {
      return ['cancelled', errorResponse('INVALID_STATUS', 'the run was cancelled before it answered', { jobId })];
    }
    // The function's own error stays in the run record: the caller may be anyone on the internet.
    return ['failed', errorResponse('FUNCTION_FAILED', 'the function failed; the run records the error', { jobId })];
  }

  /**
   * Subscribes to the run's RunFinished before the run is published, so the notice cannot be missed. The
   * subscription lives on the current connection; a reconnect keeps it (nats.js resubscribes).
   */
  private waitFor(runId: string): { until(deadline: number): Promise<RunFinished | null>; cancel(): void } {
    let settle: (notice: RunFinished | null) => void = () => undefined;
    const settled = new Promise<RunFinished | null>((resolve) => (settle = resolve));
    const subscription = this.nats.connection.subscribe(Subjects.runFinished(runId), {
      max: 1,
      callback: (error, message) => {
        if (error) return settle(null);
        try {
          settle(message.json<RunFinished>());
        } catch {
          settle(null);
        }
      },
    });
    return {
      until: async (deadline) => {
        const timer = setTimeout(() => settle(null), Math.max(0, deadline - Date.now()));
        try {
          return await settled;
        } finally {
          clearTimeout(timer);
          subscription.unsubscribe();
        }
      },
      cancel: () => {
        subscription.unsubscribe();
        settle(null);
      },
    };
  }
}

function timeoutOf(trigger: EndpointTrigger): number {
  const timeoutMs = trigger.triggerMetadata.timeoutMs;
  return typeof timeoutMs === 'number' && timeoutMs > 0
    ? Math.min(timeoutMs, ENDPOINT_TIMEOUT_MS)
    : ENDPOINT_TIMEOUT_MS;
}
