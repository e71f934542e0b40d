import { jetstream, type JetStreamClient, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Context } from '@opentelemetry/api';
import { type LiveEvent, type ServiceName, Subjects } from '@signalbox/contracts';
import { extractTraceContext, injectTraceContext } from '@signalbox/observability';

import { declareTopology, type TopologySettings } from './topology';

/** The trace context a NATS message carries in its headers (the root context when none, or tracing is off). */
export const traceContextOf = (headers: MsgHdrs | undefined): Context =>
  extractTraceContext({ get: (key) => (headers?.has(key) ? headers.get(key) : undefined) });

/** Room left in one NATS message for its headers (KV, chunk, dead-letter and de-duplication headers). */
export const HEADER_ROOM_BYTES = 4096;

/** The largest body one message may carry on this connection: the server's `max_payload` less the header room. */
export const maxBodyBytes = (nc: Pick<NatsConnection, 'info'> | null): number =>
  (nc?.info?.max_payload ?? 1_048_576) - HEADER_ROOM_BYTES;

export interface NatsSettings extends TopologySettings {
  readonly servers: readonly string[];
  readonly service: ServiceName;
  readonly instanceId: string;
  /** Deliveries of one message after which a durable consumer dead-letters it (`NATS_MAX_DELIVERIES`). */
  readonly maxDeliveries?: number;
}

/** Generous: a run waiting for another runtime's lease, or a delivery's retries, is redelivered many times. */
export const DEFAULT_MAX_DELIVERIES = 100;

export interface MessagingLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Adapts a logger with `log` (such as Nest's) to the messaging logger. */
export const messagingLogger = (logger: {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}): MessagingLogger => ({
  info: (message) => logger.log(message),
  warn: (message) => logger.warn(message),
  error: (message) => logger.error(message),
});

export interface PublishOptions {
  /** Sets `Nats-Msg-Id`: JetStream drops a second message with the same id within the de-dup window. */
  readonly msgID?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The service's JetStream connection. `start()` never blocks and never gives up: it connects with
 * reconnect/backoff, declares the topology, and re-declares it after every reconnect (a restarted
 * server may have lost it). Readiness is "connected and topology declared".
 */
export class NatsClient {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private connected = false;
  private topologyDeclared = false;
  private lastError = 'not connected yet';
  private stopping = false;
  private readonly readyListeners: Array<() => void> = [];
  /** Callers waiting for the end of this turn of the event loop (see `endOfTurn`). */
  private waitingForTurn: Array<() => void> = [];
  /** The KV buckets opened on `connection` (`bucket`). */
  private buckets: { connection: NatsConnection | null; opened: Map<string, Promise<KV>> } = {
    connection: null,
    opened: new Map(),
  };

  constructor(
    private readonly settings: NatsSettings,
    private readonly logger: MessagingLogger,
  ) {}

  start(): void {
    void this.connectLoop();
  }

  /** Readiness: rejects with the reason when NATS is not usable. */
  async check(): Promise<void> {
    if (!this.nc || !this.connected) throw new Error(this.lastError);
    if (!this.topologyDeclared) throw new Error(`JetStream topology not declared: ${this.lastError}`);
    await this.nc.flush();
  }

  /**
   * Called each time the connection is usable with its topology declared: after the first connect and
   * after every reconnect. For work that must follow a (re)connect, such as republishing state.
   */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
    if (this.topologyDeclared) listener();
  }

  get maxDeliveries(): number {
    return this.settings.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  }

  /** The largest body one message may carry (see `maxBodyBytes`). */
  get maxBodyBytes(): number {
    return maxBodyBytes(this.nc);
  }

  get connection(): NatsConnection {
    if (!this.nc) throw new Error('NATS is not connected');
    return this.nc;
  }

  /**
   * A KV bucket, opened once on the current connection and reused: opened again on a new connection, or after an
   * open that failed.
   */
  bucket(name: string): Promise<KV> {
    const connection = this.connection;
    if (this.buckets.connection !== connection) this.buckets = { connection, opened: new Map() };
    const { opened } = this.buckets;
    let kv = opened.get(name);
    if (!kv) {
      const opening = new Kvm(connection).open(name);
      opening.catch(() => {
        if (opened.get(name) === opening) opened.delete(name);
      });
      opened.set(name, opening);
      kv = opening;
    }
    return kv;
  }

  /**
   * Resolves at the end of this turn of the event loop, together with every other caller in it. NATS operations
   * started right after it go out in one socket write: the client writes once per batch of operations made in one
   * go, and requests arriving together (an HTTP server's poll phase) otherwise cost one socket write each.
   */
  endOfTurn(): Promise<void> {
    return new Promise((resolve) => {
      if (this.waitingForTurn.length === 0) {
        setImmediate(() => {
          const waiting = this.waitingForTurn;
          this.waitingForTurn = [];
          for (const release of waiting) release();
        });
      }
      this.waitingForTurn.push(resolve);
    });
  }

  /** Stores one message in its stream (sent at the end of this turn, see `endOfTurn`); resolves with the ack. */
  async publish<T>(subject: string, payload: T, options: PublishOptions = {}): Promise<PubAck> {
    const data = JSON.stringify(payload);
    const h = natsHeaders();
    for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
    // The consumer continues the trace of the work that published (no header when tracing is off).
    injectTraceContext(h);
    await this.endOfTurn();
    if (!this.js) throw new Error('NATS is not connected');
    try {
      return await this.js.publish(subject, data, { msgID: options.msgID, headers: h });
    } catch (error) {
      throw new Error(`publishing to ${subject} failed: ${String(error)}`, { cause: error });
    }
  }

  /**
   * Announces a change to the workspace's live streams (`GET /live`): core NATS, not stored, never awaited and
   * never throws. The records stay the truth; a lost announcement only makes a live view late until it reads.
   */
  publishLive(workspace: string, event: LiveEvent): void {
    try {
      this.nc?.publish(Subjects.live(workspace, event.type), JSON.stringify(event));
    } catch {
      // closed or reconnecting: nobody is told, as if nobody listened
    }
  }

  /** Graceful stop: flush what was published, stop subscriptions, close. */
  async drain(): Promise<void> {
    this.stopping = true;
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch((error: unknown) => this.logger.warn(`NATS drain failed: ${String(error)}`));
    }
  }

  private async connectLoop(): Promise<void> {
    const nc = await connect({
      servers: [...this.settings.servers],
      name: `${this.settings.service}:${this.settings.instanceId}`,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      reconnectJitter: 500,
      pingInterval: 10_000,
      // Without this the client builds two Error objects (stack traces included) for every request, a JetStream
      // publish included, in case it times out: a fifth of the inbound webhook's CPU. What it loses is the caller's
      // stack on a timeout ("TimeoutError: timeout"); `publish` names its subject in the error it throws instead.
      noAsyncTraces: true,
    });
    if (this.stopping) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.js = jetstream(nc);
    this.connected = true;
    this.logger.info(`connected to NATS at ${nc.getServer()}`);
    void this.watchStatus(nc);
    await this.declareWithRetry(nc);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.lastError = `disconnected from NATS (${status.server})`;
        this.logger.warn(this.lastError);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.info(`reconnected to NATS at ${status.server}`);
        this.topologyDeclared = false;
        void this.declareWithRetry(nc);
      }
    }
  }

  private async declareWithRetry(nc: NatsConnection): Promise<void> {
    for (let attempt = 1; !this.stopping && !nc.isClosed(); attempt++) {
      try {
        const jsm = await jetstreamManager(nc);
        await declareTopology(nc, jsm, this.settings.service, this.settings);
        this.topologyDeclared = true;
        for (const listener of this.readyListeners) listener();
        return;
      } catch (error) {
        this.lastError = String(error instanceof Error ? error.message : error);
        this.logger.warn(`declaring JetStream topology failed (attempt ${attempt}): ${this.lastError}`);
        await sleep(Math.min(500 * 2 ** attempt, 10_000));
      }
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
