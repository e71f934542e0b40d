import { ComputeFunctionEntity, ComputeFunctionVersionEntity } from '../compute-functions/compute-function.entity';
import {
  FunctionTriggerDraftEntity,
  FunctionTriggerEntity,
  FunctionTriggerVersionEntity,
} from '../function-triggers/function-trigger.entity';

/** Every TypeORM entity of the `data` schema. */
export const entities = [
  ComputeFunctionEntity,
  ComputeFunctionVersionEntity,
  FunctionTriggerEntity,
  FunctionTriggerVersionEntity,
  FunctionTriggerDraftEntity,
];
