import { Dispositions } from '@signalbox/contracts';
import type { NatsClient } from '@signalbox/messaging';

import type { ExecutionSettings } from './execution.constants';
import { type ExecDelivery, ExecutionConsumer } from './execution.consumer';
import type { FunctionConfigStore } from './function-config.store';
import type { RunLifecycle } from './run-lifecycle.service';

function delivery(body: unknown): ExecDelivery {
  return {
    seq: 7,
    json: <T>() => body as T,
    ack: () => undefined,
    nak: () => undefined,
    term: () => undefined,
    working: () => undefined,
  };
}

describe('ExecutionConsumer.process', () => {
  const advanced: unknown[] = [];
  const lifecycle = {
    advance: (request: unknown) => {
      advanced.push(request);
      return Promise.resolve(Dispositions.ack());
    },
  } as unknown as RunLifecycle;
  const consumer = new ExecutionConsumer(
    {} as NatsClient,
    lifecycle,
    { concurrency: 4 } as ExecutionSettings,
    {} as FunctionConfigStore,
  );

  it('terminates a message that is not an execution request, without throwing (the scout path awaits it)', async () => {
    for (const body of [null, 'text', { runId: 1, workspace: 'acme' }, { runId: 'r-1' }]) {
      const disposition = await consumer.process(delivery(body));
      expect(disposition.kind).toBe('term');
    }
    expect(advanced).toEqual([]);
    expect(consumer.inHandOf('acme')).toBe(0);
  });

  it('hands a request to the run lifecycle and answers its disposition', async () => {
    const request = { runId: 'r-1', workspace: 'acme' };
    await expect(consumer.process(delivery(request))).resolves.toEqual(Dispositions.ack());
    expect(advanced).toEqual([request]);
    expect(consumer.holds(7)).toBe(false);
  });
});
