import { Inject, Injectable } from '@nestjs/common';
import { type RpcSubject, SignalboxError } from '@signalbox/contracts';
import { NatsClient, requestService } from '@signalbox/messaging';

import { RUNTIME_REQUEST_TIMEOUT_MS } from '../function-runs/function-runs.constants';

/**
 * Request-reply to another service over NATS. When it does not answer in time, or its handler failed, the
 * caller gets 503 with `unavailable` as the message: nothing was changed by this request.
 */
@Injectable()
export class RpcClient {
  constructor(
    private readonly nats: NatsClient,
    @Inject(RUNTIME_REQUEST_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async ask<Request, Reply>(
    subject: RpcSubject<Request, Reply>,
    payload: Request,
    unavailable: string,
    timeoutMs = this.timeoutMs,
  ): Promise<Reply> {
    try {
      return await requestService(this.nats, subject, payload, timeoutMs);
    } catch {
      throw new SignalboxError('SERVICE_UNAVAILABLE', unavailable);
    }
  }
}
