import { type DynamicModule, Module } from '@nestjs/common';

import { FunctionTriggerRepository } from '../function-triggers/function-trigger.repository';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { RpcClient } from '../rpc/rpc.client';
import { FunctionRunController } from './function-run.controller';
import { FunctionRunService } from './function-run.service';
import { RUNTIME_REQUEST_TIMEOUT_MS } from './function-runs.constants';
import { RuntimeClient } from './runtime.client';

/** Runs, read through compute-runtime (their owner). */
@Module({})
export class FunctionRunsModule {
  static register(options: { timeoutMs: number }): DynamicModule {
    return {
      module: FunctionRunsModule,
      global: true,
      controllers: [FunctionRunController],
      providers: [
        { provide: RUNTIME_REQUEST_TIMEOUT_MS, useValue: options.timeoutMs },
        RpcClient,
        RuntimeClient,
        FunctionRunService,
        // Read by the runs list's filters (stateless: one more instance than the catalog's is harmless).
        FunctionTriggerRepository,
        IdempotencyRepository,
      ],
      exports: [RuntimeClient, RpcClient],
    };
  }
}
