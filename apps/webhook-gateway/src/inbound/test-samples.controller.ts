import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type ListTestSamplesRequest, Subjects, type WebhookTestSampleList } from '@signalbox/contracts';

import { TestSampleBuffer } from './test-samples.buffer';

/** NATS request-reply (queue group webhook-gateway): what data-service's `GET .../test-samples` answers. */
@Controller()
export class TestSamplesController {
  constructor(private readonly samples: TestSampleBuffer) {}

  @MessagePattern(Subjects.gatewayTestSamples)
  async list(@Payload() request: ListTestSamplesRequest): Promise<WebhookTestSampleList> {
    return { samples: await this.samples.list(request.workspace, request.triggerId) };
  }
}
