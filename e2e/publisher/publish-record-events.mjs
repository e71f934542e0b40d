#!/usr/bin/env node
// A user's service, as far as Signalbox can tell: it publishes record events to JetStream with the plain
// nats.js client and nothing from this repository. The e2e tests and the benchmark run it as a separate process.
//
//   node e2e/publisher/publish-record-events.mjs '<json spec>'
//
// spec: { url, messages?: [{ subject, body (object or raw string), msgId? }],
//         burst?: { workspace, recordSlug, event, count, prefix, records?, ratePerSecond?, window? } }
// Prints one JSON line: { published, duplicates, firstSeq, lastSeq, sent: [{ eventId, at }] (burst only) }.
import { setTimeout as delay } from 'node:timers/promises';

import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const spec = JSON.parse(process.argv[2] ?? '{}');
const nc = await connect({ servers: spec.url ?? 'nats://127.0.0.1:4222' });
const js = jetstream(nc);
const result = { published: 0, duplicates: 0, firstSeq: null, lastSeq: null, sent: [] };

function publish(subject, body, msgId) {
  const options = msgId ? { msgID: msgId } : {};
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return js.publish(subject, payload, options).then((ack) => {
    result.published++;
    if (ack.duplicate) result.duplicates++;
    result.firstSeq = result.firstSeq === null ? ack.seq : Math.min(result.firstSeq, ack.seq);
    result.lastSeq = Math.max(result.lastSeq ?? 0, ack.seq);
    return ack;
  });
}

// Single messages, one after another (each acked before the next: their order in the stream is this order).
for (const message of spec.messages ?? []) await publish(message.subject, message.body, message.msgId);

if (spec.burst) {
  const { workspace, recordSlug, event, count, prefix, records = count, ratePerSecond, window = 512 } = spec.burst;
  const subject = `records.${workspace}.${recordSlug}.${event}`;
  const pending = new Set();
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if (ratePerSecond) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - Date.now();
      if (wait > 0) await delay(wait);
    }
    while (pending.size >= window) await Promise.race(pending);
    const eventId = `${prefix}-${i}`;
    const at = Date.now();
    const body = {
      eventId,
      event,
      workspaceSlug: workspace,
      recordSlug,
      recordId: `rec-${i % records}`,
      data: { index: i, publishedAt: at },
      timestamp: new Date(at).toISOString(),
    };
    const work = publish(subject, body, eventId).finally(() => pending.delete(work));
    pending.add(work);
    if (spec.burst.report) result.sent.push({ eventId, at });
  }
  await Promise.all(pending);
}

await nc.drain();
process.stdout.write(`${JSON.stringify(result)}\n`);
