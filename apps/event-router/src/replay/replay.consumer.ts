import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  configKey,
  Consumers,
  type Disposition,
  Dispositions,
  KvBuckets,
  type RecordEventParams,
  type Replay,
  type ReplayJob,
  replayRunId,
  Streams,
  Subjects,
  type TriggerConfig,
} from '@signalbox/contracts';
import { compileRecordFilter } from '@signalbox/filters';
import { decodeJson, DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { Dispatcher } from '../routing/dispatcher';
import { eventIdOf } from '../routing/record-event.consumer';
import { parseRecordEvent } from '../routing/record-event.parser';
import { ROUTING_SETTINGS, type RoutingSettings } from '../routing/routing.settings';
import { TriggerIndex } from '../routing/trigger-index';

const PROGRESS_EVERY = 500;

/**
 * Replays of event-driven triggers. A replay is a durable job (REPLAYS, one message per replay): the
 * router reads the trigger's events of the window from RECORD_EVENTS, runs the trigger's current filter,
 * and dispatches one run per matching event with a new run id derived from the replay id, so a router
 * that dies mid-replay resumes from the start without starting any run twice. Progress is kept in the
 * `replays` KV bucket, where data-service reads it.
 */
@Injectable()
export class ReplayConsumer extends DurableConsumer {
  private readonly logger = new Logger(ReplayConsumer.name);
  private stopping = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly index: TriggerIndex,
    private readonly dispatcher: Dispatcher,
    @Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings,
  ) {
    super(nats, {
      consumer: Consumers.routerReplays,
      concurrency: 1, // one replay at a time per replica; replicas share the jobs
      logger: messagingLogger(new Logger(ReplayConsumer.name)),
    });
  }

  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  override async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await super.beforeApplicationShutdown();
  }

  protected async handle(message: JsMsg): Promise<Disposition> {
    const job = decodeJson<ReplayJob>(message, 'replay job');
    const kv = await this.nats.bucket(KvBuckets.replays.bucket);
    const key = configKey(job.workspace, job.replayId);
    const heartbeat = setInterval(() => message.working(), 5_000);
    try {
      const state = await this.replay(job, kv, key, () => this.stopping);
      // Shutting down: another replica (or this one, restarted) starts it again at once.
      return state === 'interrupted' ? Dispositions.retry(0) : Dispositions.ack();
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async replay(
    job: ReplayJob,
    kv: KV,
    key: string,
    interrupted: () => boolean,
  ): Promise<'done' | 'interrupted'> {
    const base: Replay = {
      replayId: job.replayId,
      triggerId: job.triggerId,
      workspaceSlug: job.workspace,
      since: job.since,
      until: job.until,
      status: 'running',
      scanned: 0,
      matched: 0,
      requestedBy: job.requestedBy,
      requestedAt: job.requestedAt,
      finishedAt: null,
      error: null,
    };
    const trigger = this.index.trigger(job.workspace, job.triggerId);
    const failed = (error: string) =>
      kv.put(key, JSON.stringify({ ...base, status: 'failed', finishedAt: new Date().toISOString(), error }));
    if (!trigger || trigger.executionType !== 'event-driven') {
      await failed('the trigger no longer exists or is not event-driven');
      return 'done';
    }
    const { event, recordSlug, filter } = trigger.triggerMetadata;
    const matches = compileRecordFilter(filter);
    const progress = { ...base };
    await kv.put(key, JSON.stringify(progress));

    const until = Date.parse(job.until);
    const js = jetstream(this.nats.connection);
    const reader = await js.consumers.get(Streams.recordEvents.name, {
      filter_subjects: Subjects.recordEvent(job.workspace, recordSlug, event),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: job.since,
    });
    let pending = (await reader.info()).num_pending;
    let cut = false;
    while (pending > 0) {
      if (interrupted()) return 'interrupted';
      const batch = await reader.fetch({ max_messages: 256, expires: 2_000 });
      let received = 0;
      for await (const message of batch) {
        received++;
        pending = message.info.pending;
        if (Number(message.info.timestampNanos / 1_000_000) > until) {
          pending = 0;
          break;
        }
        progress.scanned++;
        await this.replayOne(trigger, message, matches, job, progress);
        if (progress.scanned % PROGRESS_EVERY === 0) await kv.put(key, JSON.stringify(progress));
        if (progress.scanned >= this.settings.replayMaxEvents) {
          cut = true;
          pending = 0;
          break;
        }
      }
      if (received === 0) break;
    }
    await kv.put(
      key,
      JSON.stringify({
        ...progress,
        status: 'completed',
        finishedAt: new Date().toISOString(),
        error: cut
          ? `stopped after ${this.settings.replayMaxEvents} events (REPLAY_MAX_EVENTS); replay the rest separately`
          : null,
      }),
    );
    this.logger.log(`replay ${job.replayId}: ${progress.matched} runs from ${progress.scanned} events`);
    return 'done';
  }

  private async replayOne(
    trigger: TriggerConfig,
    message: JsMsg,
    matches: (record: unknown) => boolean,
    job: ReplayJob,
    progress: { matched: number },
  ): Promise<void> {
    const parsed = parseRecordEvent(message.subject, message.data);
    if (!parsed.ok || !matches(parsed.event.data)) return;
    const params: RecordEventParams = {
      ...parsed.event,
      eventId: eventIdOf(parsed.event, message),
      timestamp: parsed.event.timestamp ?? message.timestamp,
      sequence: message.seq,
      isReplay: true,
      replayId: job.replayId,
    };
    const runId = replayRunId(job.workspace, params.eventId, trigger.id, job.replayId);
    await this.dispatcher.run(trigger, runId, params, `replay:${job.replayId}`);
    progress.matched++;
  }
}
