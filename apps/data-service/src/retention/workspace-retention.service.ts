import { Injectable } from '@nestjs/common';
import type { UpdateWorkspaceRetention, WorkspaceRetention, WorkspaceRetentionList } from '@signalbox/contracts';

import { WorkspaceRetentionRepository } from './workspace-retention.repository';

/**
 * A workspace's own retention of runs and deliveries, shorter than the platform's. The values are checked by the
 * route's schema (1 to 3650 days, or null); compute-runtime and webhook-gateway ask for the list hourly.
 */
@Injectable()
export class WorkspaceRetentionService {
  constructor(private readonly settings: WorkspaceRetentionRepository) {}

  get(workspace: string): Promise<WorkspaceRetention> {
    return this.settings.get(workspace);
  }

  update(workspace: string, change: UpdateWorkspaceRetention, by: string): Promise<WorkspaceRetention> {
    return this.settings.update(workspace, change, by);
  }

  /** Every workspace with a retention of its own. */
  listSet(): Promise<WorkspaceRetentionList> {
    return this.settings.listSet();
  }
}
