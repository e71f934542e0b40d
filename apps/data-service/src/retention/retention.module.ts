import { Module } from '@nestjs/common';

import { RetentionController, RetentionRpcController } from './retention.controller';
import { WorkspaceRetentionRepository } from './workspace-retention.repository';

@Module({
  controllers: [RetentionController, RetentionRpcController],
  providers: [WorkspaceRetentionRepository],
  exports: [WorkspaceRetentionRepository],
})
export class RetentionModule {}
