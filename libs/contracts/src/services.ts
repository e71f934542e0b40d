/**
 * The five deployable services. Wire contract: these names appear in NATS subjects,
 * queue groups, metrics labels and the system status answer. Never rename one.
 */
export const ServiceNames = [
  'data-service',
  'webhook-gateway',
  'scheduler-service',
  'event-router',
  'compute-runtime',
] as const;

export type ServiceName = (typeof ServiceNames)[number];

/** Default HTTP port of each service (health and metrics at least). */
export const DefaultPorts: Readonly<Record<ServiceName, number>> = {
  'data-service': 3000,
  'webhook-gateway': 3001,
  'scheduler-service': 3002,
  'event-router': 3003,
  'compute-runtime': 3004,
};

/**
 * Postgres schema owned by each service that owns tables (one writer per table).
 * The event-router owns nothing durable but its consumer position, so it has no schema and no pool.
 */
export const ServiceSchemas = {
  'data-service': 'data',
  'webhook-gateway': 'webhooks',
  'scheduler-service': 'scheduler',
  'compute-runtime': 'runtime',
} as const satisfies Partial<Record<ServiceName, string>>;
