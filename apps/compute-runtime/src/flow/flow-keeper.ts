import { Injectable } from '@nestjs/common';

import { Periodic } from '../common/periodic';
import { FlowGate } from './flow-gate.service';

/**
 * Every replica, every 2 s: admits runs waiting in a line whose slots are free with nobody to admit them (the
 * runtime that freed them died first), and removes flow state no run needs (FlowGate.keep).
 */
@Injectable()
export class FlowKeeper extends Periodic {
  protected readonly everyMs = 2_000;
  protected readonly what = 'flow-control keeping';

  constructor(private readonly gate: FlowGate) {
    super();
  }

  protected pass(): Promise<void> {
    return this.gate.keep();
  }
}
