import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { ComputeFunction, FunctionRun, FunctionTrigger } from '@signalbox/contracts';
import type { Platform } from '@signalbox/testing';
import { queryDatabase, waitFor } from '@signalbox/testing';

import type { ApiClient } from './http';

/**
 * What the hostile suite shares: one platform for all its cases, the processes as they were at start, and
 * every job id the platform accepted, so that the end of the suite can check that nothing broke through.
 */
export class HostileContext {
  readonly accepted = new Set<string>();
  private readonly pids: Map<string, number | undefined>;

  constructor(
    readonly platform: Platform,
    readonly api: ApiClient,
    readonly gateway: string,
    /** A second tenant, who shares every process, batch and queue with the first. */
    readonly other: ApiClient,
  ) {
    this.pids = new Map([...platform.services].map(([name, service]) => [name, service.pid]));
  }

  async createFunction(
    code: string,
    extra: Record<string, unknown> = {},
    api: ApiClient = this.api,
  ): Promise<ComputeFunction> {
    const created = await api.post<ComputeFunction>('/compute-functions', {
      name: `fn-${Math.random().toString(36).slice(2, 10)}`,
      code,
      ...extra,
    });
    if (created.status !== 201) throw new Error(`creating a function answered ${created.status}`);
    return created.body;
  }

  async createTrigger(
    functionId: string,
    body: Record<string, unknown>,
    api: ApiClient = this.api,
  ): Promise<FunctionTrigger> {
    const created = await api.post<FunctionTrigger>('/function-triggers', {
      name: `t-${Math.random().toString(36).slice(2, 10)}`,
      functionId,
      ...body,
    });
    if (created.status !== 201)
      throw new Error(`creating a trigger answered ${created.status}: ${JSON.stringify(created.body)}`);
    return created.body;
  }

  /** Executes a trigger; the job id is remembered as accepted. */
  async execute(triggerId: string, body: unknown = {}, api: ApiClient = this.api): Promise<string> {
    const executed = await api.post<{ jobId: string }>(`/function-triggers/${triggerId}/execute`, body);
    if (executed.status !== 200)
      throw new Error(`execute answered ${executed.status}: ${JSON.stringify(executed.body)}`);
    this.accepted.add(executed.body.jobId);
    return executed.body.jobId;
  }

  /** The run's final state, read from Postgres (the API is what the cases attack). */
  finished(jobId: string): Promise<{ status: string }> {
    return waitFor(
      async () => {
        const [row] = await queryDatabase<{ status: string }>(
          this.platform.database.url,
          'SELECT status FROM runtime.runs WHERE id = $1',
          [jobId],
        );
        return row && !['queued', 'running'].includes(row.status) ? row : undefined;
      },
      30_000,
      `run ${jobId} to finish`,
    );
  }

  readRun(jobId: string, api: ApiClient = this.api) {
    return api.get<FunctionRun>(`/function-runs/${jobId}`);
  }

  /** Sends an anonymous request to a webhook path of workspace acme; a 202's job id is remembered as accepted. */
  async webhook(path: string, init: RequestInit = {}): Promise<{ status: number; jobId?: string }> {
    const response = await fetch(`${this.gateway}/workspace/acme/api/v1/webhook${path}`, { method: 'POST', ...init });
    const text = await response.text();
    const jobId = response.status === 202 ? (JSON.parse(text) as { jobId: string }).jobId : undefined;
    if (jobId) this.accepted.add(jobId);
    return { status: response.status, jobId };
  }

  /** Every service is the process it was at the start (none died, none was restarted). */
  servicesAlive(): string[] {
    const gone: string[] = [];
    for (const [name, service] of this.platform.services) {
      if (service.pid !== this.pids.get(name) || !service.running) gone.push(`${name}\n${service.logs.slice(-3000)}`);
    }
    return gone;
  }

  /** Every accepted run exists exactly once and is finished. */
  async runsOnce(): Promise<string[]> {
    const ids = [...this.accepted];
    const rows = await queryDatabase<{ id: string; n: number; status: string }>(
      this.platform.database.url,
      `SELECT id, count(*)::int AS n, min(status) AS status FROM runtime.runs WHERE id = ANY($1::uuid[]) GROUP BY id`,
      [ids],
    );
    const seen = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = seen.get(id);
      if (!row) return [`${id}: accepted but no run`];
      if (row.n !== 1) return [`${id}: ${row.n} rows`];
      return ['queued', 'running'].includes(row.status) ? [`${id}: still ${row.status}`] : [];
    });
  }

  /** No durable consumer holds a message it keeps redelivering, or one it has not delivered. */
  async stuckMessages(): Promise<string[]> {
    const nc = await connect({ servers: this.platform.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const stuck: string[] = [];
      for await (const stream of jsm.streams.list()) {
        for await (const consumer of jsm.consumers.list(stream.config.name)) {
          if (!consumer.config.durable_name) continue; // watchers (KV mirrors) are ordered, ephemeral consumers
          if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) {
            stuck.push(
              `${stream.config.name}/${consumer.name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacknowledged, ${consumer.num_redelivered} redelivered`,
            );
          }
        }
      }
      return stuck;
    } finally {
      await nc.close();
    }
  }
}
