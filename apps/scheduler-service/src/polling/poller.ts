import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  configKey,
  configOfType,
  jsonTextDepth,
  MAX_JSON_DEPTH,
  type PollingRunParams,
  pollRunId,
  type PollState,
  type TriggerConfig,
  type TriggerConfigOf,
} from '@signalbox/contracts';
import { openSecretTree, SecretOpener } from '@signalbox/crypto';
import { NatsClient, publishTriggeredRun } from '@signalbox/messaging';
import { type FetchPolicy, guardedFetch } from '@signalbox/net-guard';
import { HealthRegistry, inSpan, MetricsService } from '@signalbox/observability';
import type { Counter } from 'prom-client';

import { TriggerConfigs } from '../triggers/trigger-configs';
import { PollRepository, type PollRow } from './poll.repository';

export const POLLING_SETTINGS = Symbol('POLLING_SETTINGS');
export interface PollingSettings {
  /** Where polls may go and how each is bounded (the operator's outbound policy). */
  readonly fetch: FetchPolicy;
  /** Polls one replica makes at once. */
  readonly concurrency: number;
}

const TICK_MS = 1000;
const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;
type PollingTrigger = TriggerConfigOf<'polling'>;
const isPolling = (config: TriggerConfig | null | undefined): config is PollingTrigger =>
  configOfType(config, 'polling') !== null;

/** The items of a JSON answer: the array at `itemsPath` (dot-separated), or the answer itself. */
export function itemsOf(answer: unknown, itemsPath: string | undefined): unknown[] {
  let value = answer;
  for (const part of (itemsPath ?? '').split('.').filter(Boolean)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (!Array.isArray(value)) throw new Error(`the answer has no array at ${itemsPath ?? 'its top level'}`);
  return value;
}

/**
 * Polling triggers (StackAI `cursor_data`): each due trigger's URL is fetched through the outbound guard, and
 * every item whose id the cursor has not seen becomes one run (run id from trigger + item id, so a lost cursor
 * write repeats nothing). The first successful poll only records what is there. A failing URL backs off
 * (interval x 2^failures, at most an hour) and keeps its cursor. The cursor lives in `scheduler.polls`.
 */
@Injectable()
export class Poller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Poller.name);
  private readonly polls: Counter<'outcome'>;
  private timer: NodeJS.Timeout | null = null;
  private running = 0;
  private stopped = false;

  constructor(
    private readonly nats: NatsClient,
    private readonly triggers: TriggerConfigs,
    private readonly repository: PollRepository,
    private readonly opener: SecretOpener,
    private readonly health: HealthRegistry,
    @Inject(POLLING_SETTINGS) private readonly settings: PollingSettings,
    metrics: MetricsService,
  ) {
    this.polls = metrics.counter('signalbox_polls_total', 'Polls of polling triggers by outcome.', ['outcome']);
    triggers.listen({
      loaded: (entries) => {
        if (this.stopped) return;
        const polling = [...entries.values()].filter(isPolling);
        void this.repository
          .sync(
            polling.map((config) => ({ id: config.id, workspace: config.workspaceSlug })),
            true,
          )
          .catch((error: unknown) => this.logger.warn(`polls not synced: ${String(error)}`));
      },
      changed: (_key, value, previous) => {
        if (this.stopped) return;
        const work = isPolling(value)
          ? this.repository.sync([{ id: value.id, workspace: value.workspaceSlug }], false)
          : value === null && isPolling(previous)
            ? this.repository.remove(previous.id)
            : null;
        void work?.catch((error: unknown) => this.logger.warn(`poll not synced: ${String(error)}`));
      },
    });
  }

  /** A polling trigger's cursor and last outcome, as the API shows it. */
  state(workspace: string, triggerId: string): Promise<PollState | null> {
    return this.repository.state(workspace, triggerId);
  }

  onApplicationBootstrap(): void {
    this.health.register('polls', this.triggers.readinessCheck('polling triggers'));
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (!this.triggers.isLoaded || this.stopped) return;
    const free = this.settings.concurrency - this.running;
    if (free <= 0) return;
    let due: PollRow[];
    try {
      due = await this.repository.claimDue(free, LEASE_MS);
    } catch (error) {
      this.logger.warn(`claiming polls failed: ${String(error)}`);
      return;
    }
    for (const row of due) {
      this.running++;
      // Each poll is the first span of its own trace: the runs of the items it finds continue it.
      const attributes = { 'signalbox.workspace': row.workspace_slug, 'signalbox.trigger.id': row.trigger_id };
      void inSpan('trigger poll', { root: true, attributes }, () => this.poll(row)).finally(() => this.running--);
    }
  }

  private async poll(row: PollRow): Promise<void> {
    const config = configOfType(this.triggers.get(configKey(row.workspace_slug, row.trigger_id)), 'polling');
    if (!config) {
      await this.repository.remove(row.trigger_id).catch(() => undefined);
      return;
    }
    const metadata = config.triggerMetadata;
    const intervalMs = metadata.interval * 1000;
    if (!config.enabled) {
      await this.repository.postpone(row.trigger_id, intervalMs).catch(() => undefined);
      return;
    }
    const url = metadata.url;
    try {
      const headers = await this.headersOf(config);
      // The trigger's headers are meant for its URL's origin: a redirect elsewhere does not get them.
      const response = await guardedFetch(
        url,
        { method: 'GET', headers, sensitiveHeaders: Object.keys(headers) },
        this.settings.fetch,
      );
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      // Deeper JSON would overflow recursive code on its way to the run (storage, the sandbox hand-over).
      if (jsonTextDepth(response.body) > MAX_JSON_DEPTH)
        throw new Error(`${url} answered JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      const items = itemsOf(JSON.parse(response.body) as unknown, metadata.itemsPath);
      const idField = metadata.idField ?? 'id';
      const seen = new Set(row.seen_ids);
      const fresh: Array<{ id: string; item: unknown }> = [];
      for (const item of items) {
        const raw = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[idField] : undefined;
        if (typeof raw !== 'string' && typeof raw !== 'number') continue; // an item without an id cannot be tracked
        const id = String(raw);
        if (!seen.has(id)) {
          seen.add(id);
          fresh.push({ id, item });
        }
      }
      const polledAt = new Date().toISOString();
      // The first poll records what is there; later ones run what is new, in the order the URL lists them.
      const toRun = row.initialized ? fresh : [];
      for (const { id, item } of toRun) {
        const executionParams: PollingRunParams = { triggerId: config.id, url, itemId: id, item, polledAt };
        await publishTriggeredRun(this.nats, {
          trigger: config,
          runId: pollRunId(config.workspaceSlug, config.id, id),
          executionParams,
          requestedBy: 'polling',
          source: { url, itemId: id },
          timestamp: polledAt,
        });
      }
      await this.repository.succeeded(
        config.id,
        [...row.seen_ids, ...fresh.map((f) => f.id)],
        toRun.length,
        intervalMs,
      );
      this.polls.inc({ outcome: row.initialized ? 'ok' : 'initialized' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const backoff = Math.min(intervalMs * 2 ** (row.failures + 1), MAX_BACKOFF_MS);
      this.polls.inc({ outcome: 'failed' });
      this.logger.warn(`polling trigger ${config.id}: ${message}; next try in ${Math.round(backoff / 1000)} s`);
      await this.repository.failed(config.id, message, backoff).catch(() => undefined);
    }
  }

  /** Sealed header values are opened here, for this request only. */
  private async headersOf(config: PollingTrigger): Promise<Record<string, string>> {
    const headers = config.triggerMetadata.headers;
    if (!headers) return {};
    const owner = { workspace: config.workspaceSlug, ownerId: config.id };
    const opened = (await openSecretTree('headers', headers, owner, this.opener)) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(opened).map(([name, value]) => [name, String(value)]));
  }
}
