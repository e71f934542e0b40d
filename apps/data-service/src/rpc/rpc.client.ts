import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { SignalboxError } from '@signalbox/contracts';
import { firstValueFrom, timeout } from 'rxjs';

import { RUNTIME_REQUEST_TIMEOUT_MS } from '../function-runs/function-runs.constants';
import { NATS_RPC } from './rpc.constants';

/**
 * Request-reply to another service over NATS. When it does not answer in time, the caller gets 503 with
 * `unavailable` as the message: nothing was changed by this request.
 */
@Injectable()
export class RpcClient {
  constructor(
    @Inject(NATS_RPC) private readonly rpc: ClientProxy,
    @Inject(RUNTIME_REQUEST_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  async ask<T>(subject: string, payload: unknown, unavailable: string, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return await firstValueFrom(this.rpc.send<T>(subject, payload).pipe(timeout(timeoutMs)));
    } catch {
      throw new SignalboxError('SERVICE_UNAVAILABLE', unavailable);
    }
  }
}
