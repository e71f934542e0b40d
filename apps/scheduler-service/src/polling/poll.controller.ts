import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type GetPollRequest, type PollState, Subjects } from '@signalbox/contracts';

import { Poller } from './poller';

/** NATS request-reply (queue group scheduler-service): what `GET .../function-triggers/{id}/poll` answers. */
@Controller()
export class PollController {
  constructor(private readonly polls: Poller) {}

  @MessagePattern(Subjects.schedulerGetPoll)
  state(@Payload() request: GetPollRequest): Promise<PollState | null> {
    return this.polls.state(request.workspace, request.triggerId);
  }
}
