import type { KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { CONFIG_BUCKETS, CONFIG_RECONCILED_KEY } from '@signalbox/contracts';

import type { MessagingLogger, NatsClient } from './nats.client';

export interface KvMirrorListener<T> {
  /** A key was written (`value`) or deleted (`null`) after the mirror was loaded. */
  changed?(key: string, value: T | null, previous: T | undefined): void;
  /** The mirror was (re)loaded from the bucket: rebuild anything derived from it. */
  loaded?(entries: ReadonlyMap<string, T>): void;
}

/**
 * An in-memory copy of a KV bucket, kept current by a watch: the way the execution plane reads the config
 * that data-service publishes, without a request per message. The watch is started again after every
 * (re)connect; the new copy replaces the old one only once it holds every key, so readers never see a
 * half-loaded bucket. A config bucket (CONFIG_BUCKETS) must also hold CONFIG_RECONCILED_KEY: an empty one, new
 * or lost with NATS's data, is "not filled yet", not "no configuration".
 */
export class KvMirror<T> {
  private entries = new Map<string, T>();
  private isLoadedFlag = false;
  private watcher: QueuedIterator<KvWatchEntry> | null = null;
  private generation = 0;
  private markLoaded: () => void = () => undefined;
  /** Resolves once the bucket has been read to its end the first time. Consumers that route by it wait for this. */
  readonly loaded: Promise<void> = new Promise((resolve) => (this.markLoaded = resolve));

  private readonly listeners: Array<KvMirrorListener<T>> = [];

  constructor(
    private readonly nats: NatsClient,
    private readonly bucket: string,
    private readonly logger: MessagingLogger,
    listener?: KvMirrorListener<T>,
  ) {
    if (listener) this.listeners.push(listener);
  }

  /**
   * Adds a listener: several parts of a service can follow one copy of a bucket. Add it before `start`, or
   * call its `loaded` yourself with `entries` if the mirror is loaded already.
   */
  listen(listener: KvMirrorListener<T>): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.nats.onReady(() => void this.watch());
  }

  stop(): void {
    this.generation++;
    this.watcher?.stop();
  }

  /** Readiness: the bucket has been read to its end at least once. */
  get isLoaded(): boolean {
    return this.isLoadedFlag;
  }

  /** A health check that fails, naming `what`, until the bucket is loaded. */
  readinessCheck(what: string): () => Promise<void> {
    return () => (this.isLoaded ? Promise.resolve() : Promise.reject(new Error(`${what} not loaded yet`)));
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private async watch(): Promise<void> {
    const generation = ++this.generation;
    this.watcher?.stop();
    try {
      const kv = await this.nats.bucket(this.bucket);
      const { values } = await kv.status();
      const watcher = await kv.watch();
      this.watcher = watcher;
      // A config bucket loads only once data-service has said it filled it (CONFIG_RECONCILED_KEY): until then
      // the mirror keeps what it held before, and the marker is never one of the entries.
      const requireKey = CONFIG_BUCKETS.includes(this.bucket) ? CONFIG_RECONCILED_KEY : undefined;
      const fresh = new Map<string, T>();
      // An empty bucket is loaded at once, unless its writer must first say it filled it.
      let current = values === 0 && !requireKey ? this.swap(fresh) : null;
      let marked = !requireKey;
      let caughtUp = values === 0;
      for await (const entry of watcher) {
        if (generation !== this.generation) break;
        if (requireKey && entry.key === requireKey) {
          marked ||= entry.operation === 'PUT';
        } else {
          const value = entry.operation === 'PUT' ? entry.json<T>() : null;
          if (current) {
            const previous = current.get(entry.key);
            if (value === null) current.delete(entry.key);
            else current.set(entry.key, value);
            for (const listener of this.listeners) listener.changed?.(entry.key, value, previous);
            continue;
          }
          if (value === null) fresh.delete(entry.key);
          else fresh.set(entry.key, value);
        }
        caughtUp ||= !entry.delta;
        if (!current && caughtUp && marked) current = this.swap(fresh);
      }
    } catch (error) {
      if (generation !== this.generation) return;
      this.logger.warn(`watching KV bucket ${this.bucket} failed, retrying: ${String(error)}`);
      setTimeout(() => {
        if (generation === this.generation) void this.watch();
      }, 1000).unref();
    }
  }

  private swap(fresh: Map<string, T>): Map<string, T> {
    this.entries = fresh;
    this.isLoadedFlag = true;
    this.markLoaded();
    for (const listener of this.listeners) listener.loaded?.(fresh);
    return fresh;
  }
}
