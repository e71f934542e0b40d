import type { ServerResponse } from 'node:http';

import type { LiveTopic } from '@signalbox/contracts';

import type { LiveListener } from './live.hub';

/** A stream that has fallen this far behind (a reader that does not read) is ended; it reconnects and reads. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A comment this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** One open `text/event-stream` answer: its frames, its keepalive, its end (once, whoever ends it). */
export class EventStream implements LiveListener {
  /** Called once when the stream ends (the hub's removal). */
  onEnd: () => void = () => undefined;
  private ended = false;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly raw: ServerResponse,
    readonly topics: ReadonlySet<LiveTopic>,
  ) {
    raw.on('error', () => this.end());
  }

  start(comment: string): void {
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.raw.write(`retry: 2000\n: ${comment}\n\n`);
    this.keepalive = setInterval(() => this.raw.write(': keepalive\n\n'), KEEPALIVE_MS);
  }

  send(frames: Buffer): void {
    if (this.ended) return;
    if (this.raw.writableLength > MAX_BUFFERED_BYTES) return this.end();
    this.raw.write(frames);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    this.onEnd();
    if (!this.raw.writableEnded) this.raw.end();
  }
}
