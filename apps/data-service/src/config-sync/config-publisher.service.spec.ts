import type { NatsClient } from '@signalbox/messaging';
import type { Database } from '@signalbox/persistence';

import type { ComputeFunctionRepository } from '../compute-functions/compute-function.repository';
import type { FunctionTriggerRepository } from '../function-triggers/function-trigger.repository';
import type { WebhookRepository } from '../webhooks/webhook.repository';
import { ConfigPublisher, HEAL_FIRST_DELAY_MS } from './config-publisher.service';

const triggerConfig = {
  id: 't1',
  workspaceSlug: 'acme',
  functionId: 'f1',
  executionType: 'scheduled',
  enabled: true,
  triggerMetadata: {},
  version: 2,
  updatedAt: '2026-11-26T10:00:00.000Z',
} as const;

// The buckets, faked: this test is about when the publisher writes and reconciles, not about NATS.
const mockKv = {
  put: jest.fn(),
  delete: jest.fn(),
  get: jest.fn(),
  keys: jest.fn(),
  status: () => Promise.resolve({ streamInfo: { state: { last_seq: 0 } } }),
};

describe(ConfigPublisher.name, () => {
  const kv = mockKv;
  const allTriggers = jest.fn();
  let sut: ConfigPublisher;

  beforeEach(() => {
    jest.useFakeTimers();
    kv.put.mockReset().mockResolvedValue(1);
    kv.keys.mockReset().mockImplementation(() => Promise.resolve((async function* () {})()));
    allTriggers.mockReset().mockResolvedValue([]);
    const none = { all: () => Promise.resolve([]) };
    sut = new ConfigPublisher(
      { bucket: () => Promise.resolve(mockKv), onReady: jest.fn(), maxBodyBytes: 1_044_480 } as unknown as NatsClient,
      { whenReady: () => Promise.resolve() } as unknown as Database,
      none as unknown as ComputeFunctionRepository,
      { all: allTriggers } as unknown as FunctionTriggerRepository,
      none as unknown as WebhookRepository,
    );
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('reconciles from Postgres soon after a write fails while the connection stays up', async () => {
    kv.put.mockRejectedValueOnce(new Error('503 no responders'));

    await sut.publishTrigger(triggerConfig as never);
    expect(allTriggers).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(HEAL_FIRST_DELAY_MS);
    expect(allTriggers).toHaveBeenCalledTimes(1);
  });

  it('tries a failed reconcile again with a growing delay until one succeeds, then stops', async () => {
    allTriggers.mockRejectedValueOnce(new Error('no stream leader')).mockRejectedValueOnce(new Error('again'));
    kv.put.mockRejectedValueOnce(new Error('503 no responders'));
    await sut.publishTrigger(triggerConfig as never);

    await jest.advanceTimersByTimeAsync(HEAL_FIRST_DELAY_MS); // fails
    expect(allTriggers).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2 * HEAL_FIRST_DELAY_MS - 1);
    expect(allTriggers).toHaveBeenCalledTimes(1); // waits twice as long before the next
    await jest.advanceTimersByTimeAsync(1); // fails again
    expect(allTriggers).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(4 * HEAL_FIRST_DELAY_MS); // succeeds
    expect(allTriggers).toHaveBeenCalledTimes(3);

    await jest.advanceTimersByTimeAsync(120_000);
    expect(allTriggers).toHaveBeenCalledTimes(3);
  });

  it('does nothing more when writes succeed', async () => {
    await sut.publishTrigger(triggerConfig as never);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(kv.put).toHaveBeenCalledTimes(1);
    expect(allTriggers).not.toHaveBeenCalled();
  });

  it('runs once more when asked while one runs: that one read Postgres before the change it is asked for', async () => {
    let release: (value: never[]) => void = () => undefined;
    allTriggers.mockImplementationOnce(() => new Promise((resolve) => (release = resolve)));
    const first = sut.reconcile();
    await jest.advanceTimersByTimeAsync(0);
    const second = sut.reconcile();
    expect(sut.reconcile()).toBe(second); // asked three times: still one more, not two
    release([]);
    await expect(first).resolves.toBe(true);
    await expect(second).resolves.toBe(true);
    expect(allTriggers).toHaveBeenCalledTimes(2);
  });
});
