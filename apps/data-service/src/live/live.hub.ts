import type { Subscription } from '@nats-io/nats-core';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import {
  LiveDeliveryEventSchema,
  type LiveEvent,
  LiveRecordEventSchema,
  LiveRunEventSchema,
  type LiveTopic,
  SignalboxError,
  Subjects,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const ajv = new Ajv({ strict: false });
addFormats(ajv);
const isRunEvent = ajv.compile<LiveEvent>(LiveRunEventSchema);
const isDeliveryEvent = ajv.compile<LiveEvent>(LiveDeliveryEventSchema);
const isRecordEvent = ajv.compile<LiveEvent>(LiveRecordEventSchema);

/**
 * A live event as announced, if it is one: the streams pass on only what the contract describes, whoever
 * managed to publish on the subject.
 */
function checkedLiveEvent(text: string): LiveEvent | null {
  try {
    const value: unknown = JSON.parse(text);
    if (isRunEvent(value) || isDeliveryEvent(value) || isRecordEvent(value)) return value;
  } catch {
    // not JSON
  }
  return null;
}

export interface LiveSettings {
  /** Open streams per workspace on one replica (LIVE_STREAMS_PER_WORKSPACE); beyond it 429. */
  readonly perWorkspace: number;
  /** Open streams on one replica (LIVE_STREAMS_MAX); beyond it 429. */
  readonly total: number;
}
export const LIVE_SETTINGS = Symbol('LIVE_SETTINGS');

/** One open stream: given the events of its topics as ready server-sent-events frames, and told to end. */
export interface LiveListener {
  readonly topics: ReadonlySet<LiveTopic>;
  send(frames: Buffer): void;
  end(): void;
}

interface Workspace {
  readonly subscription: Subscription;
  readonly listeners: Set<LiveListener>;
  /** Frames of this turn of the event loop, in order, with their topic: sent together at its end. */
  pending: Array<{ topic: LiveTopic; frame: Buffer }>;
}

/**
 * The live events of the workspaces that have open streams on this replica: one core NATS subscription per
 * workspace while at least one stream of it is open, fanned out in process, so a thousand streams cost one
 * subscription, not a thousand. Nothing is stored or replayed: a stream sees what happens while it is open.
 */
@Injectable()
export class LiveHub implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveHub.name);
  private readonly workspaces = new Map<string, Workspace>();
  private open = 0;

  constructor(
    private readonly nats: NatsClient,
    @Inject(LIVE_SETTINGS) private readonly settings: LiveSettings,
  ) {}

  /** Streams open now on this replica. */
  get streams(): number {
    return this.open;
  }

  /** Adds a stream; answers how to remove it. 429 beyond the limits, 503 without NATS. */
  listen(workspace: string, listener: LiveListener): () => void {
    let entry = this.workspaces.get(workspace);
    if (this.open >= this.settings.total) {
      throw new SignalboxError(
        'RATE_LIMITED',
        `this replica holds ${this.open} live streams, its limit (LIVE_STREAMS_MAX)`,
      );
    }
    if ((entry?.listeners.size ?? 0) >= this.settings.perWorkspace) {
      throw new SignalboxError(
        'RATE_LIMITED',
        `workspace ${workspace} has ${this.settings.perWorkspace} live streams open here, its limit (LIVE_STREAMS_PER_WORKSPACE); close one first`,
      );
    }
    if (!entry) {
      let subscription: Subscription;
      try {
        subscription = this.nats.connection.subscribe(Subjects.liveOf(workspace), {
          callback: (error, message) => {
            if (!error) this.take(workspace, message.string());
          },
        });
      } catch (error) {
        throw new SignalboxError('SERVICE_UNAVAILABLE', `live events are unavailable: ${String(error)}`);
      }
      entry = { subscription, listeners: new Set(), pending: [] };
      this.workspaces.set(workspace, entry);
    }
    entry.listeners.add(listener);
    this.open++;
    const current = entry;
    return () => {
      if (!current.listeners.delete(listener)) return;
      this.open--;
      if (current.listeners.size > 0) return;
      current.subscription.unsubscribe();
      this.workspaces.delete(workspace);
    };
  }

  /**
   * One announcement: checked, made a frame once for every stream (one line of JSON with only the contract's
   * fields, safe in a frame), and sent with the others of this turn of the event loop, so a busy workspace
   * costs each stream one write per turn, not one per event.
   */
  private take(workspace: string, text: string): void {
    const entry = this.workspaces.get(workspace);
    const event = entry && checkedLiveEvent(text);
    if (!entry || !event) return;
    entry.pending.push({
      topic: event.type,
      frame: Buffer.from(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
    });
    if (entry.pending.length === 1) setImmediate(() => this.flush(entry));
  }

  private flush(entry: Workspace): void {
    const pending = entry.pending;
    entry.pending = [];
    const byTopics = new Map<string, Buffer>();
    for (const listener of entry.listeners) {
      const key = [...listener.topics].sort().join(',');
      let frames = byTopics.get(key);
      if (!frames) {
        frames = Buffer.concat(pending.filter((p) => listener.topics.has(p.topic)).map((p) => p.frame));
        byTopics.set(key, frames);
      }
      if (frames.length > 0) listener.send(frames);
    }
  }

  /** Ends every stream before the HTTP server closes, which would otherwise wait for them. */
  beforeApplicationShutdown(): void {
    const listeners = [...this.workspaces.values()].flatMap((entry) => [...entry.listeners]);
    if (listeners.length > 0) this.logger.log(`ending ${listeners.length} live streams`);
    for (const listener of listeners) listener.end();
  }
}
