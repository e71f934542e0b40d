import { CreateSchedules1764144000000 } from './1764144000000-create-schedules';
import { CreatePolls1764240000000 } from './1764240000000-create-polls';

/**
 * Checked-in migrations of this service's schema, in order. Add new ones as
 * `<epochMs>-<name>.ts` beside this file and list them here (docs/development.md).
 */
export const migrations = [CreateSchedules1764144000000, CreatePolls1764240000000];
