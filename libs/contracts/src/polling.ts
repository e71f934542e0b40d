import { type Static, Type } from '@sinclair/typebox';

import { Timestamp } from './rest/common';

/** `executionParams` of a run a polling trigger started: one new item. */
export interface PollingRunParams {
  readonly triggerId: string;
  readonly url: string;
  readonly itemId: string;
  readonly item: unknown;
  readonly polledAt: string;
}

/** How many item ids a polling trigger's cursor keeps (the newest). */
export const POLL_CURSOR_KEEP = 1000;

/** `GET .../function-triggers/{id}/poll`: the polling state, cursor included. */
export const PollStateSchema = Type.Object({
  triggerId: Type.String(),
  /** false until the first successful poll, which records the items already there without running them. */
  initialized: Type.Boolean(),
  seenIds: Type.Integer({ description: 'item ids in the cursor' }),
  lastItemIds: Type.Array(Type.String(), { description: 'the newest ids in the cursor (at most 20)' }),
  lastPolledAt: Type.Union([Timestamp, Type.Null()]),
  nextPollAt: Type.Union([Timestamp, Type.Null()]),
  consecutiveFailures: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  runsStarted: Type.Integer(),
});
export type PollState = Static<typeof PollStateSchema>;

/** `scheduler.v1.polls.get` request. */
export interface GetPollRequest {
  readonly workspace: string;
  readonly triggerId: string;
}
