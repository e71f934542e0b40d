// The five services and their default ports (libs/contracts DefaultPorts), for the scripts that check
// deployment files without building the workspace.
export const SERVICES = {
  'data-service': 3000,
  'webhook-gateway': 3001,
  'scheduler-service': 3002,
  'event-router': 3003,
  'compute-runtime': 3004,
};

/** Services that never open a Postgres connection. */
export const WITHOUT_DATABASE = new Set(['event-router']);
