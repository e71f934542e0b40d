import { Injectable } from '@nestjs/common';
import { Database } from '@signalbox/persistence';

import { UUID } from '../common/list.repository';

export interface ApiKeyRow {
  readonly id: string;
  readonly public_id: string;
  readonly workspace_slug: string;
  readonly name: string;
  readonly key_hash: string;
  readonly scopes: string[];
  readonly created_by: string;
  readonly created_at: Date;
  readonly expires_at: Date | null;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
}

/** The only code that touches `data.api_keys`. Reads for users are scoped by workspace. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly database: Database) {}

  async insert(row: Omit<ApiKeyRow, 'created_at' | 'last_used_at' | 'revoked_at'>): Promise<ApiKeyRow> {
    const rows = await this.database.source.query<ApiKeyRow[]>(
      `INSERT INTO data.api_keys (id, public_id, workspace_slug, name, key_hash, scopes, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [row.id, row.public_id, row.workspace_slug, row.name, row.key_hash, row.scopes, row.created_by, row.expires_at],
    );
    return rows[0];
  }

  /** Active keys of a workspace, newest first (revoked keys are kept for the audit trail, not listed). */
  async list(workspace: string, page: { limit: number; page: number }): Promise<[ApiKeyRow[], number]> {
    const rows = await this.database.source.query<Array<ApiKeyRow & { total: number }>>(
      `SELECT *, count(*) OVER ()::int AS total FROM data.api_keys
        WHERE workspace_slug = $1 AND revoked_at IS NULL
        ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
      [workspace, page.limit, (page.page - 1) * page.limit],
    );
    return [rows, rows[0]?.total ?? 0];
  }

  /** Revokes at once: the next request with the key is refused on every replica (keys are read per request). */
  async revoke(workspace: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const [, affected] = await this.database.source.query<[unknown[], number]>(
      'UPDATE data.api_keys SET revoked_at = now() WHERE workspace_slug = $1 AND id = $2 AND revoked_at IS NULL',
      [workspace, id],
    );
    return affected > 0;
  }

  /** The key with this public id, if it is neither revoked nor expired (any workspace: the key names it). */
  async findUsable(publicId: string): Promise<ApiKeyRow | null> {
    const rows = await this.database.source.query<ApiKeyRow[]>(
      `SELECT * FROM data.api_keys
        WHERE public_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [publicId],
    );
    return rows[0] ?? null;
  }

  async touch(id: string): Promise<void> {
    await this.database.source.query('UPDATE data.api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
