import { createInbox, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/nats-core';
import type { RpcSubject } from '@signalbox/contracts';
import { injectTraceContext, tracingEnabled } from '@signalbox/observability';

import { maxBodyBytes, type NatsClient } from './nats.client';

/**
 * Request-reply between services over core NATS (architecture.md "Request-reply"). The request is the JSON
 * of its data; the answer is the JSON of `RpcAnswer`. An answer larger than one NATS message (the server's
 * `max_payload`) is sent as numbered chunks on the requester's inbox, each with the `Signalbox-Rpc-Chunk`
 * header `<index>/<count>`, and put back together here, so no answer ever exceeds what the transport allows
 * and none is cut. `RPC_MAX_ANSWER_BYTES` bounds what one answer may be in all.
 */
export const RPC_CHUNK_HEADER = 'Signalbox-Rpc-Chunk';

/** Bigger than any bounded record the services answer (a run is at most a few MB); a safety net, not a page. */
export const RPC_MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** What a responder answers: the handler's value, or why it failed. */
export type RpcAnswer<T = unknown> =
  { readonly response: T } | { readonly err: { readonly code: string; readonly message: string } };

/** The responder failed (its `code` is a contract error code, or `RPC_FAILED`). */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Nobody answered in time, or nobody listens on the subject. */
export class RpcUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcUnavailableError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Asks the service listening on `subject` and waits at most `timeoutMs` for the whole answer. Throws
 * `RpcUnavailableError` when nobody answers, `RpcError` when the handler failed.
 */
export async function requestService<Request, Reply>(
  nats: NatsClient | NatsConnection,
  subject: RpcSubject<Request, Reply>,
  data: Request,
  timeoutMs: number,
): Promise<Reply> {
  const nc = 'connection' in nats ? nats.connection : nats;
  const inbox = createInbox();
  const subscription = nc.subscribe(inbox);
  const timer = setTimeout(() => subscription.unsubscribe(), timeoutMs);
  try {
    // With tracing on, the responder continues the requester's trace.
    const headers = tracingEnabled() ? natsHeaders() : undefined;
    if (headers) injectTraceContext(headers);
    nc.publish(subject, encoder.encode(JSON.stringify(data ?? null)), {
      reply: inbox,
      ...(headers ? { headers } : {}),
    });
    const chunks: Uint8Array[] = [];
    let received = 0;
    let size = 0;
    for await (const msg of subscription) {
      if (msg.headers?.code === 503) throw new RpcUnavailableError(`nobody listens on ${subject}`);
      const chunk = chunkOf(msg);
      if (!chunk) return decodeAnswer<Reply>(subject, msg.data);
      size += msg.data.length;
      if (size > RPC_MAX_ANSWER_BYTES) {
        throw new RpcError('RPC_FAILED', `${subject} answered more than ${RPC_MAX_ANSWER_BYTES} bytes`);
      }
      if (chunks[chunk.index] === undefined) received++;
      chunks[chunk.index] = msg.data;
      if (received === chunk.count) return decodeAnswer<Reply>(subject, concat(chunks, size));
    }
    throw new RpcUnavailableError(`${subject} did not answer within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
    if (!subscription.isClosed()) subscription.unsubscribe();
  }
}

/** Sends `answer` to the requester of `msg`, in chunks when it does not fit in one message. */
export function sendAnswer(nc: NatsConnection, msg: Msg, answer: RpcAnswer): void {
  if (!msg.reply) return;
  let bytes = encoder.encode(JSON.stringify(answer));
  if (bytes.length > RPC_MAX_ANSWER_BYTES) {
    bytes = encoder.encode(
      JSON.stringify({
        err: { code: 'RPC_FAILED', message: `the answer (${bytes.length} bytes) exceeds ${RPC_MAX_ANSWER_BYTES}` },
      } satisfies RpcAnswer),
    );
  }
  const chunkSize = Math.max(1024, maxBodyBytes(nc));
  if (bytes.length <= chunkSize) {
    nc.publish(msg.reply, bytes);
    return;
  }
  const count = Math.ceil(bytes.length / chunkSize);
  for (let index = 0; index < count; index++) {
    const h = natsHeaders();
    h.set(RPC_CHUNK_HEADER, `${index}/${count}`);
    nc.publish(msg.reply, bytes.subarray(index * chunkSize, (index + 1) * chunkSize), { headers: h });
  }
}

function chunkOf(msg: Msg): { index: number; count: number } | null {
  const value = msg.headers?.get(RPC_CHUNK_HEADER);
  if (!value) return null;
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new RpcError('RPC_FAILED', `malformed chunk header "${value}"`);
  return { index, count };
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.length;
  }
  return whole;
}

function decodeAnswer<T>(subject: string, bytes: Uint8Array): T {
  const answer = JSON.parse(decoder.decode(bytes)) as Partial<{ response: T; err: { code: string; message: string } }>;
  if (answer.err) throw new RpcError(answer.err.code, `${subject} failed: ${answer.err.message}`);
  return answer.response as T;
}
