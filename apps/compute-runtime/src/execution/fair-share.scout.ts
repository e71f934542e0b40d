import { type JetStreamManager, jetstreamManager, type MsgRequest, type StoredMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Streams, Subjects, workspaceOfExecRequest } from '@signalbox/contracts';
import { messagingLogger, NatsClient, settle, traceContextOf } from '@signalbox/messaging';
import { inSpan, MetricsService, SpanKind } from '@signalbox/observability';
import type { Counter } from 'prom-client';

import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { type ExecDelivery, ExecutionConsumer } from './execution.consumer';

/** How often the scout looks at the queue while the consumer is saturated. */
export const SCOUT_INTERVAL_MS = 100;
/** Messages of one workspace the scout may read and pass over (held here, or to be left for now) per look. */
const SKIPS_PER_WORKSPACE = 5;

/**
 * The fair share of the queue ahead of the sandbox. EXECUTIONS is one first-in, first-out queue shared by
 * every workspace, so a run of workspace B queued behind 10,000 of workspace A's would wait for all of them.
 * While the consumer has every message it may hold in hand (the queue is backed up), the scout asks the
 * stream which workspaces have runs waiting (its per-subject counts, `exec.<workspace>.<functionId>`), and
 * for each workspace with fewer runs in hand here than its share (the consumer's concurrency divided by the
 * workspaces waiting), reads that workspace's oldest waiting messages directly (by subject) and hands them to
 * the same handler. The claim in Postgres
 * keeps it to one run whichever replica or path gets there first; when the run is finished the message is
 * deleted from the stream, and a message the scout leaves (a retry not due yet, a run another replica
 * holds) stays for the consumer. The sandbox pool then gives the workers out fairly between workspaces.
 */
@Injectable()
export class FairShareScout implements OnApplicationBootstrap {
  private readonly logger = new Logger(FairShareScout.name);
  private readonly settleLogger = messagingLogger(this.logger);
  private readonly readAhead: Counter<never>;
  /** Messages left alone until then (stream sequence -> epoch ms): not due, or held elsewhere. */
  private readonly skipUntil = new Map<number, number>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private looking = false;
  private stopping = false;
  private jsm: Promise<JetStreamManager> | null = null;

  constructor(
    private readonly nats: NatsClient,
    private readonly consumer: ExecutionConsumer,
    @Inject(EXECUTION_SETTINGS) private readonly settings: ExecutionSettings,
    metrics: MetricsService,
  ) {
    this.readAhead = metrics.counter(
      'signalbox_runs_read_ahead_total',
      "Runs the fair-share scout took ahead of their turn in EXECUTIONS, because another workspace's backlog stood in front of them.",
      [],
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.look(), SCOUT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops looking and waits for the runs it took (before the sandbox workers are closed). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  private async look(): Promise<void> {
    if (this.looking || this.stopping || !this.consumer.saturated) return;
    this.looking = true;
    try {
      const waiting = await this.waitingByWorkspace();
      // Each workspace with runs waiting may have as many in hand as the others: its share of what the
      // consumer holds. The sandbox pool then takes turns between them.
      const share = Math.max(1, Math.floor(this.settings.concurrency / Math.max(1, waiting.size)));
      for (const workspace of waiting.keys()) {
        const room = Math.min(share - this.consumer.inHandOf(workspace), this.settings.concurrency - this.running.size);
        if (this.stopping || room <= 0) continue;
        for (const message of await this.oldestOf(workspace, room)) this.take(message);
      }
    } catch (error) {
      this.logger.debug(`looking at the queue failed: ${String(error)}`);
    } finally {
      this.looking = false;
      const now = Date.now();
      for (const [seq, until] of this.skipUntil) if (until <= now) this.skipUntil.delete(seq);
    }
  }

  /** Workspaces with runs in EXECUTIONS (waiting, or in hand somewhere), oldest subjects first as listed. */
  private async waitingByWorkspace(): Promise<Map<string, number>> {
    const jsm = await this.manager();
    const info = await jsm.streams.info(Streams.executions.name, { subjects_filter: Subjects.execRequest('*', '*') });
    const waiting = new Map<string, number>();
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      const workspace = workspaceOfExecRequest(subject);
      if (workspace) waiting.set(workspace, (waiting.get(workspace) ?? 0) + count);
    }
    return waiting;
  }

  /** Up to `max` of the workspace's oldest messages that this replica neither holds nor was told to leave for now. */
  private async oldestOf(workspace: string, max: number): Promise<StoredMsg[]> {
    const jsm = await this.manager();
    const found: StoredMsg[] = [];
    let seq = 0;
    const looks = max + SKIPS_PER_WORKSPACE + this.consumer.inHandOf(workspace); // what it holds comes first
    for (let i = 0; i < looks && found.length < max; i++) {
      // STREAM.MSG.GET with next_by_subj (nats-server 2.9+); the client types it only for direct gets.
      const request = { next_by_subj: Subjects.execRequest(workspace, '*'), seq } as unknown as MsgRequest;
      const message = await jsm.streams.getMessage(Streams.executions.name, request).catch(() => null);
      if (!message) break;
      if (!this.consumer.holds(message.seq) && !this.skipUntil.has(message.seq)) found.push(message);
      seq = message.seq + 1;
    }
    return found;
  }

  private take(message: StoredMsg): void {
    if (this.stopping) return; // shutting down while this look was under way: the consumer's turn comes later
    this.readAhead.inc();
    const remove = () =>
      void this.manager()
        .then((jsm) => jsm.streams.deleteMessage(Streams.executions.name, message.seq, false))
        .catch(() => undefined); // already gone (acked by the consumer); otherwise the consumer finds it done
    const delivery: ExecDelivery = {
      seq: message.seq,
      json: <T>() => message.json<T>(),
      ack: remove,
      term: remove,
      // Left in the stream, for the consumer or a later look once it is due.
      nak: (delayMs?: number) => void this.skipUntil.set(message.seq, Date.now() + Math.max(1000, delayMs ?? 0)),
      working: () => undefined,
    };
    // The run continues the trace of the work that queued it, as it would through the consumer.
    const attributes = { 'messaging.system': 'nats', 'messaging.destination.name': message.subject };
    const parent = traceContextOf(message.header);
    const work: Promise<void> = inSpan(
      'compute-runtime read ahead',
      { kind: SpanKind.CONSUMER, attributes, parent },
      () => this.consumer.process(delivery),
    )
      .then((disposition) =>
        settle(delivery, disposition, this.settleLogger, () => `read-ahead ${message.subject} (seq ${message.seq})`),
      )
      .finally(() => this.running.delete(work));
    this.running.add(work);
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= jetstreamManager(this.nats.connection);
    this.jsm.catch(() => (this.jsm = null));
    return this.jsm;
  }
}
