import { randomUUID } from 'node:crypto';

import { LIVE_EVENT_MAX_RUNS, type LiveEvent, type RecordEventParams } from '@signalbox/contracts';
import type { NatsClient } from '@signalbox/messaging';

import { Dispatcher } from './dispatcher';

const params: RecordEventParams = {
  eventId: 'evt-1',
  event: 'record_created',
  workspaceSlug: 'acme',
  recordSlug: 'orders',
  recordId: 'rec-1',
  data: { secret: 'not announced' },
  timestamp: '2025-01-15T10:30:00.000Z',
  sequence: 7,
  isReplay: false,
};

describe('Dispatcher.announce', () => {
  const announced: Array<{ workspace: string; event: LiveEvent }> = [];
  const nats = { publishLive: (workspace: string, event: LiveEvent) => announced.push({ workspace, event }) };
  const dispatcher = new Dispatcher(nats as unknown as NatsClient);

  beforeEach(() => {
    announced.length = 0;
  });

  it("tells the workspace's live streams about the event and its runs, without the record's data", () => {
    const runs = [{ jobId: randomUUID(), triggerId: randomUUID() }];
    dispatcher.announce(params, runs);
    expect(announced).toEqual([
      {
        workspace: 'acme',
        event: {
          type: 'event',
          eventId: 'evt-1',
          event: 'record_created',
          recordSlug: 'orders',
          recordId: 'rec-1',
          runs,
          runCount: 1,
          at: expect.any(String) as string,
        },
      },
    ]);
  });

  it('lists at most LIVE_EVENT_MAX_RUNS runs, and counts them all; none when no trigger matched', () => {
    const runs = Array.from({ length: LIVE_EVENT_MAX_RUNS + 5 }, () => ({
      jobId: randomUUID(),
      triggerId: randomUUID(),
    }));
    dispatcher.announce(params, runs);
    dispatcher.announce(params, []);
    expect(announced.map(({ event }) => event.type === 'event' && [event.runs.length, event.runCount])).toEqual([
      [LIVE_EVENT_MAX_RUNS, LIVE_EVENT_MAX_RUNS + 5],
      [0, 0],
    ]);
  });
});
