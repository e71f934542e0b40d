import type { ServiceName } from './services';

/** Request body of `Subjects.systemStatus(service)`. */
export interface SystemStatusRequest {
  readonly requestedAt: string;
}

export interface DependencyStatus {
  readonly ok: boolean;
  readonly error?: string;
}

/** Reply of `Subjects.systemStatus(service)`; also what `/health/ready` answers. */
export interface ServiceStatus {
  readonly name: ServiceName;
  readonly version: string;
  readonly ready: boolean;
  readonly instanceId: string;
  readonly uptimeSeconds: number;
  readonly checks: Readonly<Record<string, DependencyStatus>>;
}

/** Answer of `GET /workspace/{slug}/api/v1/system/status`. */
export interface SystemStatusResponse {
  readonly ready: boolean;
  readonly services: ReadonlyArray<ServiceStatus | UnreachableService>;
}

export interface UnreachableService {
  readonly name: ServiceName;
  readonly ready: false;
  readonly error: string;
}
