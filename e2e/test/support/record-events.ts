import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { WORKSPACE_ROOT } from '@signalbox/testing';

const run = promisify(execFile);

export interface PublishSpec {
  readonly messages?: ReadonlyArray<{ subject: string; body: unknown; msgId?: string }>;
  readonly burst?: {
    workspace: string;
    recordSlug: string;
    event: string;
    count: number;
    prefix: string;
    records?: number;
    ratePerSecond?: number;
    report?: boolean;
  };
}

export interface PublishResult {
  readonly published: number;
  readonly duplicates: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly sent: ReadonlyArray<{ eventId: string; at: number }>;
}

/** Publishes from a separate process with the plain nats.js client, as a user's service would. */
export async function publishFromProcess(natsUrl: string, spec: PublishSpec): Promise<PublishResult> {
  const { stdout } = await run(
    process.execPath,
    [join(WORKSPACE_ROOT, 'e2e', 'publisher', 'publish-record-events.mjs'), JSON.stringify({ url: natsUrl, ...spec })],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as PublishResult;
}

/** Every message of a stream (optionally one subject), read with an ordered consumer. */
export async function readStream<T>(
  natsUrl: string,
  stream: string,
  subject?: string,
): Promise<Array<{ subject: string; body: T }>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.All,
      ...(subject ? { filter_subjects: subject } : {}),
    });
    let pending = (await consumer.info()).num_pending;
    const out: Array<{ subject: string; body: T }> = [];
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2_000 });
      let received = 0;
      for await (const message of batch) {
        received++;
        out.push({ subject: message.subject, body: message.json<T>() });
        pending = message.info.pending;
      }
      if (received === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}
