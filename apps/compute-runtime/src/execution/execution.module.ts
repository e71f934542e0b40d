import { type DynamicModule, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';

import { BulkJobController } from '../bulk/bulk-job.controller';
import { BulkJobRepository } from '../bulk/bulk-job.repository';
import { BulkJobRunner } from '../bulk/bulk-job.runner';
import { BulkJobService } from '../bulk/bulk-job.service';
import { FlowRepository } from '../flow/flow.repository';
import { FlowGate } from '../flow/flow-gate.service';
import { FlowKeeper } from '../flow/flow-keeper';
import { RunController } from '../runs/run.controller';
import { RunRepository } from '../runs/run.repository';
import { RunService } from '../runs/run.service';
import { SandboxPool } from '../sandbox/sandbox.pool';
import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { ExecutionConsumer } from './execution.consumer';
import { ExecutionService } from './execution.service';
import { FairShareScout } from './fair-share.scout';
import { FunctionConfigStore } from './function-config.store';
import { RunCancelListener } from './run-cancel.listener';
import { RunLifecycle } from './run-lifecycle.service';
import { RunWaker } from './run-waker';

/**
 * Closes the sandbox workers last: Nest calls `onModuleDestroy` before `beforeApplicationShutdown`, where the
 * consumer and the scout let their runs finish, so the pool closes in `onApplicationShutdown`, after them.
 */
@Injectable()
class SandboxShutdown implements OnApplicationShutdown {
  constructor(private readonly pool: SandboxPool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/** Runs: the record, the queue (EXECUTIONS), and the sandbox that executes them. */
@Module({})
export class ExecutionModule {
  static register(settings: ExecutionSettings): DynamicModule {
    return {
      module: ExecutionModule,
      controllers: [RunController, BulkJobController],
      providers: [
        { provide: EXECUTION_SETTINGS, useValue: settings },
        {
          provide: SandboxPool,
          useFactory: () => {
            const logger = new Logger('sandbox');
            return new SandboxPool({
              workers: settings.workers,
              graceMs: settings.graceMs,
              maxWorkerRssMb: settings.maxWorkerRssMb,
              // A worker that dies (a hostile allocation, a crash) is replaced; the operator hears why.
              onWorkerExit: ({ pid, code, signal, stderr }) =>
                logger.error(
                  `sandbox worker ${pid ?? '?'} exited (code ${code ?? '-'}, signal ${signal ?? '-'}); a new one takes its place${stderr ? `; its last output: ${stderr.slice(-1000)}` : ''}`,
                ),
            });
          },
        },
        RunRepository,
        RunService,
        FunctionConfigStore,
        ExecutionService,
        RunLifecycle,
        RunCancelListener,
        ExecutionConsumer,
        FairShareScout,
        SandboxShutdown,
        BulkJobRepository,
        BulkJobService,
        BulkJobRunner,
        FlowRepository,
        FlowGate,
        FlowKeeper,
        RunWaker,
      ],
    };
  }
}
