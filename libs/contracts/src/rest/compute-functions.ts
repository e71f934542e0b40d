import { type Static, Type } from '@sinclair/typebox';

import { Paged, Timestamp, Uuid } from './common';

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const Code = Type.String({ minLength: 1, description: 'JavaScript defining `async function run() { ... }`' });
const TimeoutMs = Type.Integer({
  minimum: 100,
  maximum: 300_000,
  description: 'Wall-clock limit per run (default 30000)',
});
const MemoryMb = Type.Integer({ minimum: 8, maximum: 1024, description: 'Isolate memory limit (default 128)' });

export const CreateComputeFunctionSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    code: Code,
    timeoutMs: Type.Optional(TimeoutMs),
    memoryMb: Type.Optional(MemoryMb),
  },
  { additionalProperties: false },
);
export type CreateComputeFunction = Static<typeof CreateComputeFunctionSchema>;

export const UpdateComputeFunctionSchema = Type.Partial(CreateComputeFunctionSchema, { additionalProperties: false });
export type UpdateComputeFunction = Static<typeof UpdateComputeFunctionSchema>;

export const ComputeFunctionSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  code: Type.String(),
  timeoutMs: Type.Integer(),
  memoryMb: Type.Integer(),
  version: Type.Integer(),
  defaultTriggerId: Uuid,
  workspaceSlug: Type.String(),
  createdBy: Type.String(),
  updatedBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ComputeFunction = Static<typeof ComputeFunctionSchema>;

export const ComputeFunctionListSchema = Paged('functions', ComputeFunctionSchema);
export type ComputeFunctionList = Static<typeof ComputeFunctionListSchema>;

/** Fields a function list may be searched and sorted by. */
export const ComputeFunctionSearchFields = ['name', 'description'] as const;
export const ComputeFunctionSortFields = ['name', 'createdAt', 'updatedAt'] as const;
