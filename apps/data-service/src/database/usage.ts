import type { UsageTable } from '@signalbox/persistence';

import { VERSIONS_KEPT } from '../common/versions';

/** This service's tables whose rows belong to workspaces, as `GET /system/usage` reports them. */
export const usageTables: UsageTable[] = [
  { table: 'data.compute_functions', kept: 'until deleted' },
  { table: 'data.compute_function_versions', kept: `latest ${VERSIONS_KEPT} per function` },
  { table: 'data.function_triggers', kept: 'until deleted' },
  { table: 'data.function_trigger_versions', kept: `latest ${VERSIONS_KEPT} per trigger` },
  { table: 'data.function_trigger_drafts', kept: 'until published or deleted' },
  { table: 'data.webhooks', kept: 'until deleted' },
  { table: 'data.api_keys', kept: 'until deleted' },
  { table: 'data.idempotency_keys', kept: '24 hours' },
];
