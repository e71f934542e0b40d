import type { FetchPolicy } from '@signalbox/net-guard';

export const OUTBOUND_SETTINGS = Symbol('OUTBOUND_SETTINGS');

/** Outbound webhook delivery settings (env.schema.ts maps them from the environment). */
export interface OutboundSettings {
  /** Where deliveries may go and how each attempt is bounded (time, response bytes kept; no redirects). */
  readonly fetch: FetchPolicy;
  /** Platform events fanned out at once per replica. */
  readonly fanoutConcurrency: number;
  /** Delivery attempts in flight per replica. */
  readonly deliveryConcurrency: number;
  /** Attempts in flight to one subscription per replica: a slow endpoint holds back only itself. */
  readonly perEndpointConcurrency: number;
  /** A subscription whose every attempt failed for this long is disabled. */
  readonly disableAfterMs: number;
  /** Deliveries one bulk replay may queue. */
  readonly maxReplay: number;
}
