import { CreateFunctionsAndTriggers1763812800000 } from './1763812800000-create-functions-and-triggers';
import { CreateIdempotencyKeys1763820000000 } from './1763820000000-create-idempotency-keys';
import { CreateWebhooks1764200000000 } from './1764200000000-create-webhooks';
import { CreateApiKeys1764220000000 } from './1764220000000-create-api-keys';
import { CreateWorkspaceSettings1796900000000 } from './1796900000000-create-workspace-settings';

/**
 * Checked-in migrations of the `data` schema, in order. Add new ones as `<epochMs>-<name>.ts`
 * beside this file and list them here (docs/development.md).
 */
export const migrations = [
  CreateFunctionsAndTriggers1763812800000,
  CreateIdempotencyKeys1763820000000,
  CreateWebhooks1764200000000,
  CreateApiKeys1764220000000,
  CreateWorkspaceSettings1796900000000,
];
