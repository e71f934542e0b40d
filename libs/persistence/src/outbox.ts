import { activeTraceparent, tracingEnabled, withTraceparent } from '@signalbox/observability';
import type { EntityManager, QueryRunner } from 'typeorm';

import type { Database, DatabaseLogger } from './database';
import { MicroBatcher } from './micro-batcher';
import { storableJson } from './storable';

/** A queue message that a row stands for, published once the row is committed. */
export interface OutboxMessage {
  /** `Nats-Msg-Id`: publishing it twice is harmless (JetStream drops the second inside its window). */
  readonly msgId: string;
  readonly subject: string;
  readonly body: unknown;
  /**
   * The trace the message continues (tracing on): `send` and the sweep publish it in this trace. Taken from the active
   * span when the entry is written; a writer that batches entries of several traces sets it per message
   * (`Outbox.traced`), and a message that brings back a run that waited carries the run's own. `null`: in no trace
   * (not the active span's).
   */
  readonly traceparent?: string | null;
}

export interface OutboxOptions {
  /** The table, `<schema>.outbox` (made by `createOutboxTable`). */
  readonly table: string;
  /** Publishes one message to JetStream; resolves once the server has stored it. */
  readonly publish: (message: OutboxMessage) => Promise<void>;
  /** How long an entry waits for its writer to publish it before the sweep does (default 10 s). */
  readonly graceMs?: number;
  /** How often each replica sweeps (default 5 s). */
  readonly sweepEveryMs?: number;
  readonly logger: DatabaseLogger;
}

/** Entries one sweep publishes at most; the next sweep goes on at once when this many were found. */
const SWEEP_BATCH = 200;

/**
 * The hand-off from a row to its queue message, so that a crash between the two can never leave accepted work
 * without its message. The writer inserts the row and its outbox entry in one statement (the row is accepted
 * when that commits, and only then), publishes, and removes the entry (`send`). What a writer did not get to
 * publish (it died, or JetStream refused) stays in the table, and a sweep on any replica publishes it after
 * `graceMs`. Every message has a stable `Nats-Msg-Id`, and every consumer of these messages acts on the row's
 * state, not on the message, so the rare double publish (a writer slower than the grace, a sweep that died
 * before its delete) changes nothing.
 */
export class Outbox {
  private readonly graceMs: number;
  private readonly sweepEveryMs: number;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;

  constructor(
    private readonly database: Database,
    private readonly options: OutboxOptions,
  ) {
    this.graceMs = options.graceMs ?? 10_000;
    this.sweepEveryMs = options.sweepEveryMs ?? 5_000;
  }

  get table(): string {
    return this.options.table;
  }

  /**
   * The entries as a JSON recordset parameter, for the writer's statement: `INSERT INTO <table> (msg_id, subject,
   * body, traceparent) SELECT msg_id, subject, body, traceparent FROM jsonb_to_recordset($n::jsonb) AS m(msg_id text,
   * subject text, body jsonb, traceparent text)`.
   */
  static entries(messages: readonly OutboxMessage[]): string {
    return storableJson(
      messages.map(({ msgId, subject, body, traceparent }) => ({
        msg_id: msgId,
        subject,
        body,
        traceparent: traceparent === undefined ? (activeTraceparent() ?? null) : traceparent,
      })),
    );
  }

  /** The message with the active span's `traceparent`, for a writer that batches messages of several traces. */
  static traced(message: OutboxMessage): OutboxMessage {
    if (message.traceparent !== undefined || !tracingEnabled()) return message; // off: no copy per message
    return { ...message, traceparent: activeTraceparent() ?? null };
  }

  /** Writes the messages' entries in the writer's own transaction (`manager`); `send` them once it commits. */
  async write(manager: EntityManager, messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await manager.query(
      `INSERT INTO ${this.options.table} (msg_id, subject, body, traceparent)
       SELECT m.msg_id, m.subject, m.body, m.traceparent
         FROM jsonb_to_recordset($1::jsonb) AS m(msg_id text, subject text, body jsonb, traceparent text)
       ON CONFLICT (msg_id) DO NOTHING`,
      [Outbox.entries(messages)],
    );
  }

  /**
   * After the commit: publishes the messages and removes their entries. Never throws: what could not be
   * published stays for the sweep, and the work is already accepted.
   */
  async send(messages: readonly OutboxMessage[]): Promise<void> {
    const published = await Promise.all(
      messages.map((message) =>
        withTraceparent(message.traceparent, () => this.options.publish(message)).then(
          () => message.msgId,
          (error: unknown) => {
            this.options.logger.warn(`publish of ${message.msgId} failed, left to the outbox sweep: ${String(error)}`);
            return null;
          },
        ),
      ),
    );
    const done = published.filter((id): id is string => id !== null);
    if (done.length > 0) await this.removals.submit(done).catch(() => undefined); // a left entry is published again, harmlessly
  }

  /**
   * Not bounded to one in flight like the run's statements: a removal can wait on an entry the sweep holds (`FOR
   * UPDATE SKIP LOCKED` while it publishes), and the removals behind it must not wait with it.
   */
  private readonly removals = new MicroBatcher<string[], void>(async (groups) => {
    await this.database.source.query(`DELETE FROM ${this.table} WHERE msg_id = ANY($1::text[])`, [groups.flat()]);
    return groups.map(() => undefined);
  });

  /** Starts the periodic sweep. */
  start(): void {
    this.timer ??= setInterval(() => {
      if (!this.database.isReady) return;
      this.sweeping ??= this.sweepAll()
        .catch((error: unknown) => this.options.logger.warn(`outbox sweep failed: ${String(error)}`))
        .finally(() => (this.sweeping = null));
    }, this.sweepEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  private async sweepAll(): Promise<void> {
    while ((await this.sweep()) === SWEEP_BATCH);
  }

  /**
   * Publishes entries older than the grace and removes them, in one transaction that locks them (`FOR UPDATE
   * SKIP LOCKED`: replicas sweeping at once take different entries). Answers how many it published.
   */
  async sweep(): Promise<number> {
    const runner: QueryRunner = this.database.source.createQueryRunner();
    try {
      await runner.startTransaction();
      const due = (await runner.query(
        `SELECT msg_id, subject, body, traceparent FROM ${this.table}
          WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.graceMs, SWEEP_BATCH],
      )) as Array<{ msg_id: string; subject: string; body: unknown; traceparent: string | null }>;
      const published: string[] = [];
      for (const entry of due) {
        try {
          // In the trace of the work that wrote it: its consumer continues that trace, as if the writer had published.
          await withTraceparent(entry.traceparent, () =>
            this.options.publish({ msgId: entry.msg_id, subject: entry.subject, body: entry.body }),
          );
          published.push(entry.msg_id);
        } catch (error) {
          this.options.logger.warn(`outbox sweep could not publish ${entry.msg_id}: ${String(error)}`);
          break; // JetStream is refusing: the next sweep tries again
        }
      }
      if (published.length > 0) {
        await runner.query(`DELETE FROM ${this.table} WHERE msg_id = ANY($1::text[])`, [published]);
      }
      await runner.commitTransaction();
      if (published.length > 0) {
        this.options.logger.warn(
          `outbox sweep published ${published.length} message(s) their writer did not (it stopped, or JetStream refused)`,
        );
      }
      return published.length;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

/** The migration step that makes `<schema>.outbox` (see `Outbox`). */
export async function createOutboxTable(runner: QueryRunner, schema: string): Promise<void> {
  await runner.query(`
    CREATE TABLE ${schema}.outbox (
      msg_id text PRIMARY KEY,
      subject text NOT NULL,
      body jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await runner.query(`CREATE INDEX outbox_created_idx ON ${schema}.outbox (created_at)`);
}

/** The migration step that gives `<schema>.outbox` its entries' trace context (`OutboxMessage.traceparent`). */
export async function addOutboxTraceparent(runner: QueryRunner, schema: string): Promise<void> {
  await runner.query(`ALTER TABLE ${schema}.outbox ADD COLUMN IF NOT EXISTS traceparent text`);
}
