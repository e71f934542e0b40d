import { type Static, Type } from '@sinclair/typebox';

import { ServiceNames } from './services';

/** Request body of `Subjects.systemStatus(service)`. */
export interface SystemStatusRequest {
  readonly requestedAt: string;
}

const ServiceNameSchema = Type.Union(ServiceNames.map((name) => Type.Literal(name)));

export const DependencyStatusSchema = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
export type DependencyStatus = Static<typeof DependencyStatusSchema>;

/** Reply of `Subjects.systemStatus(service)`; also what `/health/ready` answers. */
export const ServiceStatusSchema = Type.Object({
  name: ServiceNameSchema,
  version: Type.String(),
  ready: Type.Boolean(),
  instanceId: Type.String(),
  uptimeSeconds: Type.Number(),
  /** Each dependency the service checked (postgres, nats, ...). */
  checks: Type.Record(Type.String(), DependencyStatusSchema),
});
export type ServiceStatus = Static<typeof ServiceStatusSchema>;

/** A service that did not answer in time. */
export const UnreachableServiceSchema = Type.Object({
  name: ServiceNameSchema,
  ready: Type.Literal(false),
  error: Type.String(),
});
export type UnreachableService = Static<typeof UnreachableServiceSchema>;

/** Answer of `GET /workspace/{slug}/api/v1/system/status`. */
export const SystemStatusResponseSchema = Type.Object({
  ready: Type.Boolean(),
  services: Type.Array(Type.Union([ServiceStatusSchema, UnreachableServiceSchema])),
});
export type SystemStatusResponse = Static<typeof SystemStatusResponseSchema>;
