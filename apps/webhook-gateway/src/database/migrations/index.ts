import { CreateTestSamples1764150000000 } from './1764150000000-create-test-samples';
import { CreateDeliveries1764210000000 } from './1764210000000-create-deliveries';
import { CreateOutbox1796700000000 } from './1796700000000-create-outbox';
import { PartitionDeliveries1796900000000 } from './1796900000000-partition-deliveries';
import { AddTraceContext1797100000000 } from './1797100000000-add-trace-context';

/**
 * Checked-in migrations of this service's schema, in order. Add new ones as
 * `<epochMs>-<name>.ts` beside this file and list them here (docs/development.md).
 */
export const migrations = [
  CreateTestSamples1764150000000,
  CreateDeliveries1764210000000,
  CreateOutbox1796700000000,
  PartitionDeliveries1796900000000,
  AddTraceContext1797100000000,
];
