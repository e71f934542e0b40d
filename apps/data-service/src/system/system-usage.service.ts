import { Inject, Injectable } from '@nestjs/common';
import {
  type ServiceName,
  ServiceSchemas,
  Subjects,
  type SystemUsageRequest,
  type SystemUsageResponse,
  type UnreachableService,
} from '@signalbox/contracts';
import { NatsClient, requestService } from '@signalbox/messaging';

import { WorkspaceRetentionService } from '../retention/workspace-retention.service';
import { SYSTEM_USAGE_TIMEOUT_MS } from './system.constants';
import { unreachable } from './unreachable';

/** The services that own tables, each of which measures the workspace's share of its own. */
const TABLE_OWNERS = Object.keys(ServiceSchemas) as ServiceName[];

/**
 * Asks every service that owns tables (this one too, over the same subject, so any replica answers) for the
 * workspace's rows and bytes in each.
 */
@Injectable()
export class SystemUsageService {
  constructor(
    private readonly nats: NatsClient,
    @Inject(SYSTEM_USAGE_TIMEOUT_MS) private readonly timeoutMs: number,
    private readonly retention: WorkspaceRetentionService,
  ) {}

  async collect(workspace: string): Promise<SystemUsageResponse> {
    const request: SystemUsageRequest = { workspace };
    const retention = await this.retention.get(workspace);
    const answers = await Promise.all(
      TABLE_OWNERS.map((name) =>
        requestService(this.nats, Subjects.systemUsage(name), request, this.timeoutMs).then(
          (usage) => ({ name, usage }),
          (error: unknown) => ({ name, failed: unreachable(name, error) }),
        ),
      ),
    );
    const missing: UnreachableService[] = [];
    const tables = [];
    for (const answer of answers) {
      if ('usage' in answer) tables.push(...answer.usage.tables);
      else missing.push(answer.failed);
    }
    return { workspace, measuredAt: new Date().toISOString(), tables, retention, unreachable: missing };
  }
}
