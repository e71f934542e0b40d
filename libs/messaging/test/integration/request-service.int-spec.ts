import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { RpcSubject } from '@signalbox/contracts';
import { NatsServerProcess, waitFor } from '@signalbox/testing';

import {
  requestService,
  RPC_CHUNK_HEADER,
  RPC_MAX_ANSWER_BYTES,
  RpcError,
  RpcUnavailableError,
  sendAnswer,
} from '../../src';

/** A string of the requested length (a typed subject, as the contracts declare theirs). */
const ECHO = 'test.echo' as RpcSubject<{ size: number }, string>;

/** The request-reply wire (request-service.ts) against a real nats-server with its default 1 MB max_payload. */
describe(requestService.name, () => {
  let server: NatsServerProcess;
  let responder: NatsConnection;
  let requester: NatsConnection;

  beforeAll(async () => {
    server = await NatsServerProcess.create();
    await server.start();
    responder = await connect({ servers: server.url });
    requester = await connect({ servers: server.url });
    // Answers a string of the requested length, or throws as a handler would.
    responder.subscribe(ECHO, {
      callback: (_error, msg) => {
        const { size } = msg.json<{ size: number }>();
        sendAnswer(responder, msg, { response: 'x'.repeat(size) });
      },
    });
    responder.subscribe('test.fails', {
      callback: (_error, msg) => sendAnswer(responder, msg, { err: { code: 'NOT_FOUND', message: 'no such thing' } }),
    });
    await responder.flush();
  });

  afterAll(async () => {
    await requester?.close();
    await responder?.close();
    await server?.dispose();
  });

  it('answers small answers in one message', async () => {
    await expect(requestService(requester, ECHO, { size: 10 }, 5000)).resolves.toBe('x'.repeat(10));
  });

  it('answers an answer five times the server max_payload whole, in chunks', async () => {
    expect(responder.info?.max_payload).toBe(1024 * 1024);
    // A spy on every inbox (its own connection) sees the chunks go by.
    const spy = await connect({ servers: server.url });
    const chunks: string[] = [];
    spy.subscribe('_INBOX.>', {
      callback: (_error, msg) => {
        chunks.push(msg.headers?.get(RPC_CHUNK_HEADER) ?? '');
      },
    });
    await spy.flush();
    const answer = await requestService(requester, ECHO, { size: 5 * 1024 * 1024 }, 10_000);
    await waitFor(() => Promise.resolve(chunks.length >= 6 ? true : undefined), 5_000, 'the spy to see every chunk');
    await spy.close();
    expect(answer).toHaveLength(5 * 1024 * 1024);
    expect(chunks).toEqual(['0/6', '1/6', '2/6', '3/6', '4/6', '5/6']);
  });

  it('answers an error instead of an answer over RPC_MAX_ANSWER_BYTES, and the responder goes on', async () => {
    await expect(requestService(requester, ECHO, { size: RPC_MAX_ANSWER_BYTES + 1 }, 10_000)).rejects.toThrow(RpcError);
    await expect(requestService(requester, ECHO, { size: 3 }, 5000)).resolves.toBe('xxx');
  });

  it("passes on the handler's error with its code", async () => {
    await expect(requestService(requester, 'test.fails', {}, 5000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('tells at once when nobody listens, and after the timeout when nobody answers', async () => {
    await expect(requestService(requester, 'test.nobody', {}, 5000)).rejects.toThrow(RpcUnavailableError);
    responder.subscribe('test.silent', { callback: () => undefined });
    await responder.flush();
    const started = Date.now();
    await expect(requestService(requester, 'test.silent', {}, 300)).rejects.toThrow(RpcUnavailableError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
