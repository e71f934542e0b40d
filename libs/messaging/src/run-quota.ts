import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { SignalboxError, Streams, Subjects } from '@signalbox/contracts';

import { NatsClient } from './nats.client';

/** How long one count of a workspace's runs in flight is used before it is asked for again. */
const COUNT_TTL_MS = 1000;

/**
 * The per-workspace quota of runs in flight (waiting in EXECUTIONS, retrying, or running), checked where
 * a caller asks for a run (execute, inbound webhooks, endpoints), so that one workspace cannot queue without
 * bound in front of the sandbox. It counts the workspace's messages in EXECUTIONS (the stream's per-subject
 * counts, `exec.<workspace>.*`), at most once a second per workspace and process: the limit can be passed
 * by what arrives within that second.
 */
export class RunQuota {
  private readonly counts = new Map<string, { value: Promise<number>; at: number }>();
  private jsm: Promise<JetStreamManager> | null = null;

  constructor(
    private readonly nats: NatsClient,
    readonly limit: number,
  ) {}

  /** Throws QUOTA_EXCEEDED when the workspace has `limit` runs in flight. */
  async assertRoom(workspace: string): Promise<void> {
    const inFlight = await this.inFlight(workspace);
    if (inFlight < this.limit) return;
    throw new SignalboxError(
      'QUOTA_EXCEEDED',
      `workspace ${workspace} has ${inFlight} runs waiting or running, its limit (RUNS_IN_FLIGHT_PER_WORKSPACE); try again when some have finished`,
    );
  }

  private inFlight(workspace: string): Promise<number> {
    const cached = this.counts.get(workspace);
    if (cached && Date.now() - cached.at < COUNT_TTL_MS) return cached.value;
    const value = this.count(workspace).catch(() => 0); // NATS unreachable: the publish that follows says so
    this.counts.set(workspace, { value, at: Date.now() });
    if (this.counts.size > 10_000) this.counts.delete(this.counts.keys().next().value!);
    return value;
  }

  private async count(workspace: string): Promise<number> {
    this.jsm ??= jetstreamManager(this.nats.connection);
    this.jsm.catch(() => (this.jsm = null));
    const info = await (
      await this.jsm
    ).streams.info(Streams.executions.name, { subjects_filter: Subjects.execRequest(workspace, '*') });
    return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  }
}

/** The Nest provider of a RunQuota with this limit, on the service's NATS connection. */
export const runQuotaProvider = (limit: number) => ({
  provide: RunQuota,
  useFactory: (nats: NatsClient) => new RunQuota(nats, limit),
  inject: [NatsClient],
});
