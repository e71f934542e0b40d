import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyVerifier, hasPermission, type Principal } from '@signalbox/auth';
import {
  API_KEY_PREFIX,
  type ApiKey,
  type ApiKeyList,
  type CreateApiKey,
  type Deleted,
  type PermissionAction,
  type PermissionResource,
  SignalboxError,
} from '@signalbox/contracts';
import { constantTimeEqual } from '@signalbox/crypto';

import type { Actor } from '../common/actor';
import { ApiKeyRepository, type ApiKeyRow } from './api-key.repository';

const PUBLIC_ID = /^[0-9a-f]{12}$/;
/** `last_used_at` is written at most this often per key and replica: not one write per request. */
const TOUCH_EVERY_MS = 60_000;

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: `${API_KEY_PREFIX}${row.public_id}`,
    scopes: row.scopes,
    workspaceSlug: row.workspace_slug,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

/** Does `granted` cover `scope` (a permission string, `<resource>:*` or `*`)? */
function covers(granted: readonly string[], scope: string): boolean {
  if (scope === '*') return granted.includes('*');
  const [resource, action] = scope.split(':') as [PermissionResource, PermissionAction | '*'];
  if (action === '*') return granted.includes('*') || granted.includes(`${resource}:*`);
  return hasPermission(granted, { resource, action });
}

/**
 * API keys (seed 004): `sbk_<public id>_<secret>`, 32 random bytes of secret. Only a SHA-256 of the key is
 * stored (the key is random, so a slow hash adds nothing); it is shown once, never logged. A key acts in its
 * workspace with its scopes, through the same checks as a JWT; it is looked up on every request, so a revoked
 * key is refused at once on every replica.
 */
@Injectable()
export class ApiKeyService extends ApiKeyVerifier {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly touched = new Map<string, number>();

  constructor(private readonly keys: ApiKeyRepository) {
    super();
  }

  async create(actor: Actor, principal: Principal, body: CreateApiKey): Promise<ApiKey> {
    // A leaked key must not be able to mint keys that outlive its revocation.
    if (principal.kind === 'api-key') {
      throw new SignalboxError('FORBIDDEN', 'API keys are created with a user token, not with another API key');
    }
    const missing = body.scopes.filter((scope) => !covers(principal.permissions, scope));
    if (missing.length > 0) {
      throw new SignalboxError('FORBIDDEN', `a key cannot get more than its creator holds: ${missing.join(', ')}`);
    }
    if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= Date.now()) {
      throw new SignalboxError('VALIDATION_ERROR', 'expiresAt must be in the future', [
        { path: ['expiresAt'], message: 'expiresAt must be in the future' },
      ]);
    }
    const publicId = randomBytes(6).toString('hex');
    const key = `${API_KEY_PREFIX}${publicId}_${randomBytes(32).toString('base64url')}`;
    const row = await this.keys.insert({
      id: randomUUID(),
      public_id: publicId,
      workspace_slug: actor.workspace,
      name: body.name,
      key_hash: hashOf(key),
      scopes: [...body.scopes],
      created_by: actor.subject,
      expires_at: body.expiresAt ? new Date(body.expiresAt) : null,
    });
    return { ...toApiKey(row), key };
  }

  async list(actor: Actor, page: { limit: number; page: number }): Promise<ApiKeyList> {
    const [rows, total] = await this.keys.list(actor.workspace, page);
    return { apiKeys: rows.map(toApiKey), total, page: page.page, limit: page.limit };
  }

  async revoke(actor: Actor, id: string): Promise<Deleted> {
    if (!(await this.keys.revoke(actor.workspace, id))) {
      throw new SignalboxError('NOT_FOUND', `API key with ID ${id} not found`);
    }
    return { id, deleted: true };
  }

  async verify(key: string): Promise<Principal | null> {
    if (!key.startsWith(API_KEY_PREFIX)) return null;
    const publicId = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 12);
    if (!PUBLIC_ID.test(publicId) || key[API_KEY_PREFIX.length + 12] !== '_') return null;
    const row = await this.keys.findUsable(publicId);
    if (!row || !constantTimeEqual(row.key_hash, hashOf(key))) return null;
    const now = Date.now();
    if (now - (this.touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      this.touched.set(row.id, now);
      void this.keys
        .touch(row.id)
        .catch((error: unknown) => this.logger.warn(`last-used not recorded: ${String(error)}`));
    }
    return { subject: `api-key:${row.id}`, workspaces: [row.workspace_slug], permissions: row.scopes, kind: 'api-key' };
  }
}
