import { CreateSchedules1764144000000 } from './1764144000000-create-schedules';

/**
 * Checked-in migrations of this service's schema, in order. Add new ones as
 * `<epochMs>-<name>.ts` beside this file and list them here (docs/development.md).
 */
export const migrations = [CreateSchedules1764144000000];
