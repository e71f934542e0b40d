import { createHash, randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { SignalboxError } from '@signalbox/contracts';
import { stringify as canonicalJson } from 'safe-stable-stringify';

import { IdempotencyRepository } from './idempotency.repository';

export const IDEMPOTENCY_WINDOW_HOURS = 24;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KEY = /^[\x21-\x7e]{1,255}$/;

/** An `Idempotency-Key` header is 1 to 255 visible ASCII characters. */
export function assertIdempotencyKey(key: string): void {
  if (!KEY.test(key)) {
    throw new SignalboxError('VALIDATION_ERROR', 'Idempotency-Key must be 1 to 255 visible ASCII characters', [
      { path: ['headers', 'idempotency-key'], message: 'invalid' },
    ]);
  }
}

/** What `Idempotency-Key` decided: start this new job, or answer the one the key already started. */
export type IdempotentStart =
  { readonly replayed: false; readonly jobId: string } | { readonly replayed: true; readonly jobId: string };

/**
 * JustPaid-style idempotency (seed 004, api-contract.md): the same key within 24 h answers the first jobId;
 * the same key with another request answers 409. Without a key every request is a new job.
 */
@Injectable()
export class IdempotencyService {
  private reservations = 0;

  constructor(private readonly keys: IdempotencyRepository) {}

  async start(workspace: string, key: string | undefined, request: unknown): Promise<IdempotentStart> {
    const jobId = randomUUID();
    if (key === undefined) return { replayed: false, jobId };
    assertIdempotencyKey(key);
    if (++this.reservations % 1000 === 0)
      void this.keys.purgeOlderThan(IDEMPOTENCY_WINDOW_HOURS).catch(() => undefined);
    // The same content in another key order is the same request (JSON objects are unordered).
    const hash = sha256(canonicalJson(request) ?? '');
    const reservation = await this.keys.reserve(workspace, key, hash, jobId, IDEMPOTENCY_WINDOW_HOURS);
    if (reservation.kind === 'reserved') return { replayed: false, jobId };
    // Keys reserved before this release hashed the body as sent: compared so too while they live (24 h).
    if (reservation.requestHash !== hash && reservation.requestHash !== sha256(JSON.stringify(request) ?? '')) {
      throw new SignalboxError('CONFLICT', 'this Idempotency-Key was already used with a different request');
    }
    return { replayed: true, jobId: reservation.jobId };
  }

  /** The job could not be started: free the key so that the client's retry starts it. */
  release(workspace: string, key: string | undefined, jobId: string): Promise<void> {
    return key === undefined ? Promise.resolve() : this.keys.release(workspace, key, jobId);
  }
}
