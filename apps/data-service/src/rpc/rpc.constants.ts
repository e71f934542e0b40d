/** Nest ClientProxy over NATS, used for request-reply to the other services. */
export const NATS_RPC = Symbol('NATS_RPC');
