import { CreateRuns1763816400000 } from './1763816400000-create-runs';
import { AddRunAttempts1764230000000 } from './1764230000000-add-run-attempts';
import { IndexRunFilters1796600000000 } from './1796600000000-index-run-filters';
import { CreateOutbox1796700000000 } from './1796700000000-create-outbox';
import { PartitionRuns1796800000000 } from './1796800000000-partition-runs';
import { CreateBulkJobs1796950000000 } from './1796950000000-create-bulk-jobs';
import { AddFlowControl1797000000000 } from './1797000000000-add-flow-control';
import { IndexWaitingRuns1797000000001 } from './1797000000001-index-waiting-runs';
import { AddTraceContext1797100000000 } from './1797100000000-add-trace-context';

/**
 * Checked-in migrations of the `runtime` schema, in order. Add new ones as `<epochMs>-<name>.ts`
 * beside this file and list them here (docs/development.md).
 */
export const migrations = [
  CreateRuns1763816400000,
  AddRunAttempts1764230000000,
  IndexRunFilters1796600000000,
  CreateOutbox1796700000000,
  PartitionRuns1796800000000,
  CreateBulkJobs1796950000000,
  AddFlowControl1797000000000,
  IndexWaitingRuns1797000000001,
  AddTraceContext1797100000000,
];
