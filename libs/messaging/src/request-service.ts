import { randomUUID } from 'node:crypto';

import type { NatsClient } from './nats.client';

/**
 * Request-reply to another service's NestJS message handler (`@MessagePattern`) without a Nest ClientProxy:
 * Nest's NATS wire format is `{pattern, data, id}` in and `{response, err, isDisposed, id}` out. Throws when
 * nobody answers in time or the handler failed.
 */
export async function requestService<T>(
  nats: NatsClient,
  subject: string,
  data: unknown,
  timeoutMs: number,
): Promise<T> {
  const id = randomUUID();
  const reply = await nats.connection.request(subject, JSON.stringify({ pattern: subject, data, id }), {
    timeout: timeoutMs,
  });
  const answer = reply.json<{ response?: T; err?: unknown }>();
  if (answer.err !== undefined && answer.err !== null) {
    throw new Error(`${subject} failed: ${JSON.stringify(answer.err)}`);
  }
  return answer.response as T;
}
