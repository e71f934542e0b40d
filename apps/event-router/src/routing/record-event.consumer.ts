import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Consumers,
  type DeadLetter,
  type Disposition,
  Dispositions,
  eventRunId,
  type RecordEvent,
  type RecordEventParams,
  Subjects,
} from '@signalbox/contracts';
import { DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { Dispatcher } from './dispatcher';
import { parseRecordEvent } from './record-event.parser';
import { ROUTING_SETTINGS, type RoutingSettings } from './routing.settings';
import { TriggerIndex } from './trigger-index';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The event id a run is derived from: the body's `eventId`, else the publisher's `Nats-Msg-Id`, else the
 * message's place in the stream (unique, but a publisher's blind retry is then a new event).
 */
export function eventIdOf(event: RecordEvent, message: Pick<JsMsg, 'headers' | 'seq' | 'info'>): string {
  return event.eventId ?? message.headers?.get('Nats-Msg-Id') ?? `seq-${message.seq}-${message.info.timestampNanos}`;
}

/**
 * Routes record events: pulls from the durable consumer shared by every router replica, finds the
 * enabled event-driven triggers whose filter matches, publishes one run per trigger (deterministic run
 * id) and the `record.*` webhook event, then acks. A message that breaks the contract is dead-lettered
 * and acked. Events of one record are handled one after another, in stream order; others in parallel.
 */
@Injectable()
export class RecordEventConsumer extends DurableConsumer {
  private readonly logger = new Logger(RecordEventConsumer.name);
  private readonly recordChains = new Map<string, Promise<Disposition>>();
  private readonly events: Counter<'outcome'>;
  private readonly runsDispatched: Counter<never>;
  private readonly routingLatency: Histogram<never>;

  constructor(
    private readonly nats: NatsClient,
    private readonly index: TriggerIndex,
    private readonly dispatcher: Dispatcher,
    metrics: MetricsService,
    @Inject(ROUTING_SETTINGS) settings: RoutingSettings,
  ) {
    super(nats, {
      consumer: Consumers.recordRouter,
      concurrency: settings.concurrency,
      logger: messagingLogger(new Logger(RecordEventConsumer.name)),
    });
    this.events = metrics.counter('signalbox_record_events_total', 'Record events by outcome.', ['outcome']);
    this.runsDispatched = metrics.counter(
      'signalbox_event_runs_dispatched_total',
      'Runs started by record events (one per event and matching trigger). Not by workspace: a label per tenant would list them to whoever reads /metrics, and grow without bound.',
      [],
    );
    this.routingLatency = metrics.histogram(
      'signalbox_record_event_routing_seconds',
      'From the event entering the stream to its runs being durably queued.',
      [],
    );
  }

  /** An event routed before the index is loaded would find no trigger and be acked: wait for it. */
  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  /** Parses at once; routes after the previous event of the same record (stream order per record). */
  protected handle(message: JsMsg): Promise<Disposition> {
    const parsed = parseRecordEvent(message.subject, message.data);
    if (!parsed.ok) return this.deadLetter(message, parsed.reason);
    const event = parsed.event;
    const key = `${event.workspaceSlug}/${event.recordSlug}/${event.recordId}`;
    const previous = this.recordChains.get(key);
    // After the previous event of the record, whether it was routed or failed (and comes back).
    const route = () => this.route(message, event);
    const work = previous ? previous.then(route, route) : route();
    this.recordChains.set(key, work);
    const forget = () => {
      if (this.recordChains.get(key) === work) this.recordChains.delete(key);
    };
    work.then(forget, forget);
    return work;
  }

  private async route(message: JsMsg, event: RecordEvent): Promise<Disposition> {
    try {
      const params: RecordEventParams = {
        ...event,
        eventId: eventIdOf(event, message),
        timestamp: event.timestamp ?? message.timestamp,
        sequence: message.seq,
        isReplay: false,
      };
      const publishes: Array<Promise<void>> = [this.dispatcher.recordWebhookEvent(params)];
      const runs: Array<{ jobId: string; triggerId: string }> = [];
      for (const { config, matches } of this.index.candidates(event.workspaceSlug, event.recordSlug, event.event)) {
        if (!matches(event.data)) continue;
        const runId = eventRunId(event.workspaceSlug, params.eventId, config.id);
        publishes.push(this.dispatcher.run(config, runId, params, 'event-router'));
        runs.push({ jobId: runId, triggerId: config.id });
      }
      await Promise.all(publishes);
      // After the runs are durably queued; never in the way of routing (it neither waits nor throws).
      this.dispatcher.announce(params, runs);
      this.events.inc({ outcome: runs.length > 0 ? 'routed' : 'no_trigger' });
      if (runs.length > 0) this.runsDispatched.inc(runs.length);
      this.routingLatency.observe(Math.max(0, Date.now() - Number(message.info.timestampNanos / 1_000_000)) / 1000);
      return Dispositions.ack();
    } catch (error) {
      // Nothing is lost: the message comes back (the consumer's retryAfterErrorMs), and its runs keep their ids.
      this.events.inc({ outcome: 'retried' });
      throw error;
    }
  }

  private async deadLetter(message: JsMsg, reason: string): Promise<Disposition> {
    let body: string;
    let bodyEncoding: DeadLetter['bodyEncoding'] = 'utf8';
    try {
      body = utf8.decode(message.data);
    } catch {
      body = Buffer.from(message.data).toString('base64');
      bodyEncoding = 'base64';
    }
    const headers: Record<string, string> = {};
    for (const [key, values] of message.headers ?? []) headers[key] = values.join(', ');
    const letter: DeadLetter = {
      reason,
      subject: message.subject,
      sequence: message.seq,
      receivedAt: new Date().toISOString(),
      body,
      bodyEncoding,
      headers,
    };
    await this.nats.publish(Subjects.deadLetterRecords, letter, {
      msgID: `records.${message.seq}.${message.info.timestampNanos}`,
    });
    this.events.inc({ outcome: 'dead_lettered' });
    this.logger.warn(`dead-lettered record event seq ${message.seq} (${message.subject}): ${reason}`);
    return Dispositions.ack();
  }
}
