import { v5 as uuidv5 } from 'uuid';

/** The namespace of Signalbox's name-based (v5) run ids. Never change it: run ids would change with it. */
const RUN_ID_NAMESPACE = '6f0b8c1e-3d2a-5b7c-9e4f-1a2b3c4d5e6f';

/**
 * The run id of one (record event, trigger) pair: the same inputs give the same id, so a redelivered
 * message, a publisher's retry or a router that died before its ack can never start a second run.
 * The workspace is part of the name because event ids are chosen by publishers.
 */
export function eventRunId(workspace: string, eventId: string, triggerId: string): string {
  return uuidv5(`event/${workspace}/${eventId}/${triggerId}`, RUN_ID_NAMESPACE);
}

/** A replay's run of one event: new (the original run is kept), and still stable if the replay restarts. */
export function replayRunId(workspace: string, eventId: string, triggerId: string, replayId: string): string {
  return uuidv5(`replay/${workspace}/${replayId}/${eventId}/${triggerId}`, RUN_ID_NAMESPACE);
}

/**
 * The run id of one due time of a scheduled trigger (the fire id: trigger id + due time). Every scheduler
 * replica that might fire it derives the same id, so JetStream's de-duplication and the runtime's insert
 * of the run by id stop a second run even if two fires of it were ever published.
 */
export function scheduleRunId(triggerId: string, scheduledAt: Date): string {
  return uuidv5(`schedule/${triggerId}/${scheduledAt.toISOString()}`, RUN_ID_NAMESPACE);
}

/**
 * The run id of an inbound webhook delivery that carries a delivery id (Stripe event id, X-GitHub-Delivery,
 * webhook-id, Idempotency-Key): a provider's retry of the same delivery is the same run.
 */
export function webhookRunId(workspace: string, triggerId: string, deliveryId: string): string {
  return uuidv5(`webhook/${workspace}/${triggerId}/${deliveryId}`, RUN_ID_NAMESPACE);
}

/**
 * The id of the outbound delivery of one event to one subscription: the gateway's fan-out can be redelivered
 * (it died before its ack) and still creates each delivery once.
 */
export function outboundDeliveryId(workspace: string, eventId: string, webhookId: string): string {
  return uuidv5(`delivery/${workspace}/${eventId}/${webhookId}`, RUN_ID_NAMESPACE);
}

/**
 * The run id of one item a polling trigger found (trigger + the item's id): a cursor write lost to a crash
 * makes the next poll publish the item again under the same id, which JetStream and the runtime drop.
 */
export function pollRunId(workspace: string, triggerId: string, itemId: string): string {
  return uuidv5(`poll/${workspace}/${triggerId}/${itemId}`, RUN_ID_NAMESPACE);
}

/** A bulk job started with an Idempotency-Key: the same key in a workspace is the same job (a retried request). */
export function bulkJobId(workspace: string, idempotencyKey: string): string {
  return uuidv5(`bulk/${workspace}/${idempotencyKey}`, RUN_ID_NAMESPACE);
}
