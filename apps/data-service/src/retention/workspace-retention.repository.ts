import { Injectable } from '@nestjs/common';
import type { UpdateWorkspaceRetention, WorkspaceRetention, WorkspaceRetentionList } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';

interface SettingsRow {
  workspace_slug: string;
  runs_retention_days: number | null;
  deliveries_retention_days: number | null;
}

const toRetention = (row: SettingsRow | undefined): WorkspaceRetention => ({
  runsDays: row?.runs_retention_days ?? null,
  deliveriesDays: row?.deliveries_retention_days ?? null,
});

/** The only code that touches `data.workspace_settings`. */
@Injectable()
export class WorkspaceRetentionRepository {
  constructor(private readonly database: Database) {}

  async get(workspace: string): Promise<WorkspaceRetention> {
    const [row] = await this.database.source.query<SettingsRow[]>(
      'SELECT * FROM data.workspace_settings WHERE workspace_slug = $1',
      [workspace],
    );
    return toRetention(row);
  }

  /** Changes the settings given (an absent one stays), in one statement; answers them all as they are now. */
  async update(workspace: string, change: UpdateWorkspaceRetention, by: string): Promise<WorkspaceRetention> {
    const [row] = await this.database.source.query<SettingsRow[]>(
      `INSERT INTO data.workspace_settings AS s (workspace_slug, runs_retention_days, deliveries_retention_days, updated_by)
       VALUES ($1, $3, $5, $6)
       ON CONFLICT (workspace_slug) DO UPDATE SET
         runs_retention_days = CASE WHEN $2 THEN $3::integer ELSE s.runs_retention_days END,
         deliveries_retention_days = CASE WHEN $4 THEN $5::integer ELSE s.deliveries_retention_days END,
         updated_at = now(), updated_by = $6
       RETURNING *`,
      [
        workspace,
        'runsDays' in change,
        change.runsDays ?? null,
        'deliveriesDays' in change,
        change.deliveriesDays ?? null,
        by,
      ],
    );
    return toRetention(row);
  }

  /** Every workspace with a retention of its own. */
  async listSet(): Promise<WorkspaceRetentionList> {
    const rows = await this.database.source.query<SettingsRow[]>(
      `SELECT * FROM data.workspace_settings
        WHERE runs_retention_days IS NOT NULL OR deliveries_retention_days IS NOT NULL`,
    );
    return { workspaces: rows.map((row) => ({ workspace: row.workspace_slug, ...toRetention(row) })) };
  }
}
