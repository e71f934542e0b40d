import { Injectable } from '@nestjs/common';
import { liveRun } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { Outbox } from '@signalbox/persistence';

import { Periodic } from '../common/periodic';
import { RunRepository } from '../runs/run.repository';
import { returnMessage } from '../runs/run-messages';

/** How many runs one look wakes (it looks again at once when it found that many). */
const WAKE_BATCH = 200;

/**
 * Wakes the runs `api.sleep` suspended (status `sleeping`, `next_attempt_at` = when): every replica looks twice a
 * second; each due run is queued again with its message in the outbox, in one transaction, so a runtime that dies
 * after it leaves the message to the outbox sweep, and one that dies before leaves the run to the next look. The
 * message's id is new each time (a run may sleep more than once).
 */
@Injectable()
export class RunWaker extends Periodic {
  protected readonly everyMs = 500;
  protected readonly what = 'waking sleeping runs';

  constructor(
    private readonly runs: RunRepository,
    private readonly outbox: Outbox,
    private readonly nats: NatsClient,
  ) {
    super();
  }

  protected async pass(): Promise<void> {
    for (;;) {
      const woken = await this.runs.wakeDue(WAKE_BATCH, (run) =>
        returnMessage(
          { runId: run.jobId, workspace: run.workspace, functionId: run.functionId, traceparent: run.traceparent },
          'wake',
        ),
      );
      if (woken.length === 0) return;
      await this.outbox.send(woken.map(({ message }) => message));
      for (const { run } of woken) this.nats.publishLive(run.workspace, liveRun(run, 'queued'));
      if (woken.length < WAKE_BATCH) return;
    }
  }
}
