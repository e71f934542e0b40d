import { type DynamicModule, Module } from '@nestjs/common';

import { FUNCTION_LIMITS, type FunctionLimits } from './compute-functions/compute-function.constants';
import { ComputeFunctionController } from './compute-functions/compute-function.controller';
import { ComputeFunctionRepository } from './compute-functions/compute-function.repository';
import { ComputeFunctionService } from './compute-functions/compute-function.service';
import { ConfigPublisher } from './config-sync/config-publisher.service';
import { FunctionTriggerController } from './function-triggers/function-trigger.controller';
import { FunctionTriggerRepository } from './function-triggers/function-trigger.repository';
import { FunctionTriggerService } from './function-triggers/function-trigger.service';
import { FunctionTriggerDraftController } from './function-triggers/function-trigger-draft.controller';
import { FunctionTriggerDraftService } from './function-triggers/function-trigger-draft.service';
import { TriggerReplayService } from './function-triggers/trigger-replay.service';
import { TriggerScheduleService } from './function-triggers/trigger-schedule.service';
import { TriggerTestSamplesService } from './function-triggers/trigger-test-samples.service';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { IdempotencyService } from './idempotency/idempotency.service';

/** Compute functions and function triggers (with drafts): the configuration the platform runs on. */
@Module({})
export class CatalogModule {
  static register(limits: FunctionLimits): DynamicModule {
    return {
      module: CatalogModule,
      controllers: [ComputeFunctionController, FunctionTriggerDraftController, FunctionTriggerController],
      providers: [
        { provide: FUNCTION_LIMITS, useValue: limits },
        ComputeFunctionRepository,
        ComputeFunctionService,
        FunctionTriggerRepository,
        FunctionTriggerService,
        FunctionTriggerDraftService,
        TriggerReplayService,
        TriggerScheduleService,
        TriggerTestSamplesService,
        IdempotencyRepository,
        IdempotencyService,
        ConfigPublisher,
      ],
    };
  }
}
