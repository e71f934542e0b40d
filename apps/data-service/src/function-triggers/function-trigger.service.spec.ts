import type { EnqueueRunRequest } from '@signalbox/contracts';
import type { SecretSealer } from '@signalbox/crypto';
import type { RunQuota } from '@signalbox/messaging';

import type { Actor } from '../common/actor';
import type { ComputeFunctionRepository } from '../compute-functions/compute-function.repository';
import type { ConfigPublisher } from '../config-sync/config-publisher.service';
import type { RuntimeClient } from '../function-runs/runtime.client';
import type { IdempotencyRepository, Reservation } from '../idempotency/idempotency.repository';
import { IdempotencyService } from '../idempotency/idempotency.service';
import type { FunctionTriggerEntity } from './function-trigger.entity';
import type { FunctionTriggerRepository } from './function-trigger.repository';
import { FunctionTriggerService } from './function-trigger.service';

/** The idempotency table, in memory. */
class FakeKeys {
  readonly rows = new Map<string, { jobId: string; hash: string }>();
  reserve(workspace: string, key: string, hash: string, jobId: string): Promise<Reservation> {
    const existing = this.rows.get(`${workspace}:${key}`);
    if (existing) return Promise.resolve({ kind: 'existing', jobId: existing.jobId, requestHash: existing.hash });
    this.rows.set(`${workspace}:${key}`, { jobId, hash });
    return Promise.resolve({ kind: 'reserved' });
  }
  release(workspace: string, key: string): Promise<void> {
    this.rows.delete(`${workspace}:${key}`);
    return Promise.resolve();
  }
  purgeOlderThan(): Promise<void> {
    return Promise.resolve();
  }
}

describe(FunctionTriggerService.name, () => {
  const actor: Actor = { workspace: 'acme', subject: 'u', permissions: ['*'] } as unknown as Actor;
  const trigger = {
    id: 't1',
    workspaceSlug: 'acme',
    name: 'on demand',
    functionId: 'f1',
    executionType: 'on-demand',
    enabled: true,
    triggerMetadata: {},
    version: 1,
  } as unknown as FunctionTriggerEntity;
  let enqueued: EnqueueRunRequest[];
  let enqueue: jest.Mock;
  let sut: FunctionTriggerService;

  beforeEach(() => {
    enqueued = [];
    enqueue = jest.fn((request: EnqueueRunRequest) => {
      enqueued.push(request);
      return Promise.resolve({ jobId: request.runId, status: 'queued' });
    });
    sut = new FunctionTriggerService(
      { find: () => Promise.resolve(trigger) } as unknown as FunctionTriggerRepository,
      {} as ComputeFunctionRepository,
      {} as ConfigPublisher,
      {} as SecretSealer,
      { enqueue } as unknown as RuntimeClient,
      new IdempotencyService(new FakeKeys() as unknown as IdempotencyRepository),
      { assertRoom: () => Promise.resolve() } as unknown as RunQuota,
      { runsInFlight: 10, schedules: 10 },
    );
  });

  it('re-drives the same run when the answer to the first request was lost, never a second one', async () => {
    enqueue.mockImplementationOnce((request: EnqueueRunRequest) => {
      enqueued.push(request); // the runtime queued it, but its answer did not come back in time
      return Promise.reject(new Error('the execution plane did not answer in time'));
    });
    await expect(sut.execute(actor, 't1', { n: 1 }, 'key-1')).rejects.toThrow('did not answer');

    const retried = await sut.execute(actor, 't1', { n: 1 }, 'key-1');

    expect(retried).toEqual({ response: { jobId: enqueued[0].runId, status: 'queued' }, replayed: true });
    expect(enqueued.map((request) => request.runId)).toEqual([enqueued[0].runId, enqueued[0].runId]);
  });

  it('starts a new run for a new key, and for no key', async () => {
    const a = await sut.execute(actor, 't1', {}, 'key-a');
    const b = await sut.execute(actor, 't1', {}, 'key-b');
    const c = await sut.execute(actor, 't1', {});
    expect(new Set([a.response.jobId, b.response.jobId, c.response.jobId]).size).toBe(3);
  });
});
