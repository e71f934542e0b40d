import { type DynamicModule, Module } from '@nestjs/common';

import { TriggersModule } from '../triggers/triggers.module';
import { FireDispatcher } from './fire.dispatcher';
import { RunOutcomesConsumer } from './run-outcomes.consumer';
import { ScheduleController } from './schedule.controller';
import { ScheduleRepository } from './schedule.repository';
import { ScheduleService } from './schedule.service';
import { ScheduleSync } from './schedule-sync';
import { SchedulerLoop } from './scheduler.loop';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from './scheduler.settings';

/** Scheduled triggers: the table kept in step with the config, the fire loop, overlap tracking, the read API. */
@Module({})
export class SchedulesModule {
  static register(settings: SchedulerSettings): DynamicModule {
    return {
      module: SchedulesModule,
      imports: [TriggersModule],
      controllers: [ScheduleController],
      providers: [
        { provide: SCHEDULER_SETTINGS, useValue: settings },
        ScheduleRepository,
        ScheduleSync,
        ScheduleService,
        FireDispatcher,
        SchedulerLoop,
        RunOutcomesConsumer,
      ],
    };
  }
}
