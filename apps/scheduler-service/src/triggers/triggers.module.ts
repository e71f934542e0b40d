import { Module } from '@nestjs/common';

import { TriggerConfigs } from './trigger-configs';

/** The triggers' configuration, one copy for the schedules and the polls. */
@Module({ providers: [TriggerConfigs], exports: [TriggerConfigs] })
export class TriggersModule {}
