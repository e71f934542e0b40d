import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import {
  configKey,
  KvBuckets,
  type Replay,
  type ReplayJob,
  type ReplayRequest,
  SignalboxError,
  Subjects,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import type { Actor } from '../common/actor';
import { FunctionTriggerRepository } from './function-trigger.repository';
import { triggerNotFound } from './function-trigger.service';

/**
 * `POST .../function-triggers/{id}/replay`: re-runs an event-driven trigger over the record events of a
 * past window. The replay is a durable job carried out by the event router; this service checks the
 * request, records the replay as `accepted` and queues the job, then answers 202 with where to follow it.
 */
@Injectable()
export class TriggerReplayService {
  private readonly logger = new Logger(TriggerReplayService.name);

  constructor(
    private readonly triggers: FunctionTriggerRepository,
    private readonly nats: NatsClient,
  ) {}

  async start(actor: Actor, triggerId: string, request: ReplayRequest): Promise<Replay> {
    const trigger = await this.triggers.find(actor.workspace, triggerId);
    if (!trigger) throw triggerNotFound(triggerId);
    if (trigger.executionType !== 'event-driven') {
      throw new SignalboxError(
        'INVALID_STATUS',
        `only event-driven triggers can be replayed; ${trigger.name} is ${trigger.executionType}`,
      );
    }
    const now = Date.now();
    const since = Date.parse(request.since);
    const until = Math.min(request.until ? Date.parse(request.until) : now, now);
    if (since >= until) {
      throw new SignalboxError('VALIDATION_ERROR', 'since must be before until (and before now)', [
        { path: ['since'], message: 'must be before until' },
      ]);
    }
    const replay: Replay = {
      replayId: randomUUID(),
      triggerId,
      workspaceSlug: actor.workspace,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      status: 'accepted',
      scanned: 0,
      matched: 0,
      requestedBy: actor.subject,
      requestedAt: new Date(now).toISOString(),
      finishedAt: null,
      error: null,
    };
    const job: ReplayJob = {
      replayId: replay.replayId,
      workspace: actor.workspace,
      triggerId,
      since: replay.since,
      until: replay.until,
      requestedBy: actor.subject,
      requestedAt: replay.requestedAt,
    };
    try {
      const kv = await this.nats.bucket(KvBuckets.replays.bucket);
      await kv.create(configKey(actor.workspace, replay.replayId), JSON.stringify(replay));
      await this.nats.publish(Subjects.replayJob(actor.workspace), job, { msgID: replay.replayId });
    } catch (error) {
      this.logger.warn(`queueing replay ${replay.replayId} failed: ${String(error)}`);
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the event stream is unavailable; retry');
    }
    return replay;
  }

  async get(actor: Actor, triggerId: string, replayId: string): Promise<Replay> {
    const notFound = new SignalboxError('NOT_FOUND', `replay ${replayId} not found`);
    if (!/^[0-9a-f-]{36}$/i.test(replayId)) throw notFound;
    let replay: Replay | null;
    try {
      const kv = await this.nats.bucket(KvBuckets.replays.bucket);
      const entry = await kv.get(configKey(actor.workspace, replayId));
      replay = entry?.operation === 'PUT' ? entry.json<Replay>() : null;
    } catch (error) {
      this.logger.warn(`reading replay ${replayId} failed: ${String(error)}`);
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the event stream is unavailable; retry');
    }
    if (!replay || replay.triggerId !== triggerId || replay.workspaceSlug !== actor.workspace) throw notFound;
    return replay;
  }
}
