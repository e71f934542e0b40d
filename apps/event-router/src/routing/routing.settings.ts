/** Operator settings of the router (config/env.schema.ts). */
export interface RoutingSettings {
  readonly concurrency: number;
  readonly replayMaxEvents: number;
}

export const ROUTING_SETTINGS = Symbol('ROUTING_SETTINGS');
