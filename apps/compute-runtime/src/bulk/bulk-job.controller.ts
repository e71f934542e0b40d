import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type BulkRunJob, type BulkRunJobRequest, type CreateBulkRunJobRequest, Subjects } from '@signalbox/contracts';

import { BulkJobService } from './bulk-job.service';

/** NATS request-reply adapter (queue group compute-runtime): one service call each. */
@Controller()
export class BulkJobController {
  constructor(private readonly bulk: BulkJobService) {}

  @MessagePattern(Subjects.runtimeCreateBulkJob)
  create(@Payload() request: CreateBulkRunJobRequest): Promise<BulkRunJob> {
    return this.bulk.create(request);
  }

  @MessagePattern(Subjects.runtimeGetBulkJob)
  get(@Payload() request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.bulk.get(request);
  }

  @MessagePattern(Subjects.runtimeCancelBulkJob)
  cancel(@Payload() request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.bulk.cancel(request);
  }
}
