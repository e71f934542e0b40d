import { Module } from '@nestjs/common';

import { RecordEventController } from './record-event.controller';
import { RecordEventService } from './record-event.service';

/** Record events in over HTTP, for producers that do not speak NATS. */
@Module({ controllers: [RecordEventController], providers: [RecordEventService] })
export class RecordEventsModule {}
