import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type GetScheduleRequest, Subjects, type TriggerSchedule } from '@signalbox/contracts';

import { ScheduleService } from './schedule.service';

/** NATS request-reply (queue group scheduler-service): what data-service's `GET .../schedule` answers. */
@Controller()
export class ScheduleController {
  constructor(private readonly schedules: ScheduleService) {}

  @MessagePattern(Subjects.schedulerGetSchedule)
  get(@Payload() request: GetScheduleRequest): Promise<TriggerSchedule | null> {
    return this.schedules.get(request);
  }
}
