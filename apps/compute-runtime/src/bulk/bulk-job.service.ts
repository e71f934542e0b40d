import { Injectable } from '@nestjs/common';
import {
  type BulkRunJob,
  type BulkRunJobRequest,
  type CreateBulkRunJobRequest,
  type FunctionRun,
  liveRun,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { Outbox, type OutboxMessage } from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import { ExecutionService } from '../execution/execution.service';
import { publishCancelled } from '../execution/run-cancel.listener';
import { RunRepository } from '../runs/run.repository';
import { retryMessage } from '../runs/run-messages';
import { BulkJobRepository, type BulkPageOutcome, type RunningBulkJob } from './bulk-job.repository';

/** Runs acted on per transaction: a page's statements stay short, and a cancel of the job waits at most one. */
export const BULK_PAGE_SIZE = 500;

/**
 * Bulk jobs over runs (`POST /function-runs/bulk`): `cancel` or `retry` every run a filter matches, any number of
 * them, in the background, page by page, each page and the job's cursor in one transaction (BulkJobRepository).
 * A run is acted on as a single cancel or retry would: the same conditional statements, the same announcements.
 */
@Injectable()
export class BulkJobService {
  private readonly created = new Set<() => void>();

  constructor(
    private readonly jobs: BulkJobRepository,
    private readonly runs: RunRepository,
    private readonly execution: ExecutionService,
    private readonly nats: NatsClient,
    private readonly outbox: Outbox,
  ) {}

  /** Records the job with the number of runs it matches now; the runners of every replica take it from there. */
  async create(request: CreateBulkRunJobRequest): Promise<BulkRunJob> {
    const existing = await this.jobs.find(request.workspace, request.id);
    if (existing) return existing; // a retried request (its Idempotency-Key): the first job
    // The job covers the runs queued until now: runs that arrive while it works are not its business.
    const untilQueuedAt = new Date().toISOString();
    const filter = this.runFilterOf(request.filter, request.triggerIds ?? null);
    const total = await this.runs.countMatching(request.workspace, filter, untilQueuedAt);
    const job = await this.jobs.create({
      untilQueuedAt,
      id: request.id,
      workspace: request.workspace,
      name: request.name,
      action: request.action,
      filter: request.filter,
      triggerIds: request.triggerIds ?? null,
      total,
      requestedBy: request.requestedBy,
    });
    for (const wake of this.created) wake();
    return job;
  }

  get(request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.jobs.find(request.workspace, request.id);
  }

  cancel(request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.jobs.cancel(request.workspace, request.id);
  }

  prune(days: number): Promise<void> {
    return this.jobs.pruneFinished(days);
  }

  /** Calls `wake` when this replica records a job (the runner sleeps between polls otherwise). */
  onCreated(wake: () => void): void {
    this.created.add(wake);
  }

  /**
   * One page of some running job, then what follows its commit: for cancelled runs their notices (whichever runtime
   * runs one stops it), live changes and `function.cancelled`; for retried runs their messages (the outbox has
   * them should this process die first). Answers false when no job had work.
   */
  async advanceOne(): Promise<boolean> {
    const advanced = await this.jobs.advance(BULK_PAGE_SIZE, (manager, job) =>
      job.action === 'cancel' ? this.cancelPage(manager, job) : this.retryPage(manager, job),
    );
    if (!advanced) return false;
    const { cancelled, retried, messages } = advanced.result;
    for (const run of cancelled) {
      // Only a run that was running can be in a sandbox (a cancelled queued run never starts: its message finds
      // it final), and only those are worth a notice to every replica.
      if (run.durationMs !== null) publishCancelled(this.nats, run);
      this.nats.publishLive(run.workspaceSlug, liveRun(run, 'cancelled'));
    }
    await Promise.all(cancelled.map((run) => this.execution.announceRecorded(run, true)));
    for (const run of retried) {
      this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt + 1 }, 'queued'));
    }
    if (messages.length > 0) await this.outbox.send(messages);
    return true;
  }

  private async cancelPage(manager: EntityManager, job: RunningBulkJob): Promise<BulkPageOutcome<PageResult>> {
    const page = await this.pageOf(manager, job);
    const cancelled = await this.runs.cancelPage(manager, job.workspace, page);
    return { page, acted: cancelled.length, result: { cancelled, retried: [], messages: [] } };
  }

  private async retryPage(manager: EntityManager, job: RunningBulkJob): Promise<BulkPageOutcome<PageResult>> {
    const page = await this.pageOf(manager, job);
    const { runs, messages } = await this.runs.requeuePage(manager, job.workspace, page, retryMessage);
    return { page, acted: runs.length, result: { cancelled: [], retried: runs, messages } };
  }

  private pageOf(manager: EntityManager, job: RunningBulkJob) {
    return this.runs.pageAfter(
      manager,
      job.workspace,
      this.runFilterOf(job.filter, job.triggerIds),
      job.cursor,
      job.untilQueuedAt,
      BULK_PAGE_SIZE,
    );
  }

  /** A job's filter as the run list's (an execution type was resolved into trigger ids by data-service). */
  private runFilterOf(filter: CreateBulkRunJobRequest['filter'], triggerIds: readonly string[] | null) {
    const { executionType: _resolved, ...rest } = filter;
    return { ...rest, ...(triggerIds ? { triggerIds } : {}) };
  }
}

interface PageResult {
  readonly cancelled: FunctionRun[];
  readonly retried: FunctionRun[];
  readonly messages: OutboxMessage[];
}
