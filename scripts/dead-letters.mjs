// `npm run dead-letters -- list` | `npm run dead-letters -- replay <sequence> [--keep]`
// What the durable consumers gave up on (stream DEAD_LETTERS, subjects deadletter.*): `list` prints one line
// per letter; `replay` publishes a letter's original bytes and headers to its original subject (the consumer
// takes it like any new message) and deletes the letter unless --keep. NATS_URL as the services use it.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');
const { headers: natsHeaders } = require('@nats-io/nats-core');

let contracts;
try {
  contracts = require('@signalbox/contracts');
} catch {
  console.error('libs/contracts is not built yet: run `npm run build` (or `npm start`) first.');
  process.exit(1);
}
const STREAM = contracts.Streams.deadLetters.name;
const H = contracts.DeadLetterHeaders;
const DEAD_HEADERS = new Set(Object.values(H));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { keep: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
});
const [command, sequence] = positionals;
if (values.help || !['list', 'replay'].includes(command) || (command === 'replay' && !/^\d+$/.test(sequence ?? ''))) {
  console.log('Usage: npm run dead-letters -- list | replay <sequence> [--keep]');
  process.exit(values.help ? 0 : 1);
}

const nc = await connect({ servers: (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',') });
try {
  const jsm = await jetstreamManager(nc);
  if (command === 'list') await list(jsm);
  else await replay(jsm, Number(sequence));
} finally {
  await nc.close();
}

async function list(jsm) {
  const info = await jsm.streams.info(STREAM);
  if (info.state.messages === 0) {
    console.log('no dead letters');
    return;
  }
  const rows = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(STREAM, { seq }).catch(() => null);
    if (!message) continue;
    const h = message.header;
    rows.push({
      sequence: seq,
      at: h?.get(H.at) || message.time.toISOString(),
      stream: h?.get(H.stream) || '(record event)',
      subject: h?.get(H.subject) || message.subject,
      deliveries: h?.get(H.deliveries) || '',
      reason: h?.get(H.reason) || reasonOfRecordLetter(message),
      bytes: message.data.length,
    });
  }
  console.table(rows);
}

/** The router's letters for unusable record events are JSON with the reason inside. */
function reasonOfRecordLetter(message) {
  try {
    return message.json().reason ?? '';
  } catch {
    return '';
  }
}

async function replay(jsm, seq) {
  const message = await jsm.streams.getMessage(STREAM, { seq });
  if (!message) {
    console.error(`there is no dead letter ${seq} (npm run dead-letters -- list)`);
    process.exitCode = 1;
    return;
  }
  const subject = message.header?.get(H.subject);
  if (!subject) {
    console.error(`dead letter ${seq} is a record event the router could not read; fix its publisher instead`);
    process.exitCode = 1;
    return;
  }
  const h = natsHeaders();
  for (const [key, list] of message.header ?? []) {
    if (!DEAD_HEADERS.has(key)) for (const value of list) h.append(key, value);
  }
  const ack = await jetstream(nc).publish(subject, message.data, { headers: h });
  console.log(`replayed dead letter ${seq} to ${subject} (${ack.stream} seq ${ack.seq})`);
  if (!values.keep) {
    await jsm.streams.deleteMessage(STREAM, seq);
    console.log(`deleted dead letter ${seq}`);
  }
}
