import type { ServiceName } from '@signalbox/contracts';

/** Who this process is: injected wherever the name, version or instance is reported. */
export interface ServiceIdentity {
  readonly name: ServiceName;
  readonly version: string;
  readonly instanceId: string;
  readonly startedAt: number;
}

export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');
