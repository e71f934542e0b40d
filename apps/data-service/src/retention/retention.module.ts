import { Module } from '@nestjs/common';

import { RetentionController, RetentionRpcController } from './retention.controller';
import { WorkspaceRetentionRepository } from './workspace-retention.repository';
import { WorkspaceRetentionService } from './workspace-retention.service';

@Module({
  controllers: [RetentionController, RetentionRpcController],
  providers: [WorkspaceRetentionRepository, WorkspaceRetentionService],
  exports: [WorkspaceRetentionService],
})
export class RetentionModule {}
