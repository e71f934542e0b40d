// The drill's side of the wire: a receiver for the functions' side effects and the outbound deliveries, a
// client that fails over between replicas the way a load balancer would, and fixed-rate load generators.
import { once } from 'node:events';
import { createServer } from 'node:http';

import { require, sleep } from '../bench/lib.mjs';

const { connect } = require('@nats-io/transport-node');
const { jetstream } = require('@nats-io/jetstream');

/** What the drill sends, what it heard back from the platform, and when. */
export class Ledger {
  /** key -> { source, sentAt, acceptedAt?, refused? } */
  items = new Map();
  /** key -> how many times a function run reported it (the function's side effect) */
  sideEffects = new Map();
  /** webhook-id -> how many times it arrived */
  deliveryIds = new Map();
  /** runId -> { events: Set of event ids, deliveries: Set of webhook-ids, firstAt } */
  deliveredRuns = new Map();
  /** concurrency group -> runs inside a /hold call now, and the most there ever were at once */
  holding = new Map();
  mostHolding = new Map();

  send(key, source) {
    this.items.set(key, { source, sentAt: Date.now() });
  }

  accepted(key) {
    this.items.get(key).acceptedAt = Date.now();
  }

  refused(key, reason) {
    this.items.get(key).refused = reason;
  }
}

/**
 * One HTTP server for all three: POST /sink (a function run's side effect), POST /deliveries (outbound webhooks),
 * and GET /hold?group=G&ms=N, which answers after N ms and counts, per group, the runs inside it at once (a run
 * whose runtime is killed leaves when its connection closes): the overlap of a concurrency-limited trigger.
 */
export async function startReceiver(ledger) {
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/hold')) return hold(ledger, request, response);
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (request.url === '/sink') {
        ledger.sideEffects.set(body.key, (ledger.sideEffects.get(body.key) ?? 0) + 1);
      } else if (request.url === '/deliveries') {
        const id = request.headers['webhook-id'];
        ledger.deliveryIds.set(id, (ledger.deliveryIds.get(id) ?? 0) + 1);
        const runId = body.data?.runId;
        if (runId) {
          const run = ledger.deliveredRuns.get(runId) ?? {
            events: new Set(),
            deliveries: new Set(),
            firstAt: Date.now(),
          };
          run.events.add(body.id);
          run.deliveries.add(id);
          ledger.deliveredRuns.set(runId, run);
        }
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

function hold(ledger, request, response) {
  const url = new URL(request.url, 'http://drill');
  const group = url.searchParams.get('group') ?? '';
  const inside = (ledger.holding.get(group) ?? 0) + 1;
  ledger.holding.set(group, inside);
  ledger.mostHolding.set(group, Math.max(ledger.mostHolding.get(group) ?? 0, inside));
  let left = false;
  const leave = () => {
    if (!left) ledger.holding.set(group, ledger.holding.get(group) - 1);
    left = true;
  };
  const timer = setTimeout(
    () => {
      leave();
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    },
    Number(url.searchParams.get('ms') ?? 100),
  );
  response.on('close', () => {
    clearTimeout(timer);
    leave();
  });
  request.resume();
}

/**
 * Sends each request to the next replica; a refused connection, a timeout or a 5xx goes to the other replica
 * after a short pause, with the same idempotency key, for up to `giveUpMs`. 4xx is the platform saying no.
 */
export class BalancedClient {
  next = 0;

  constructor(replicas, headers, giveUpMs = 60_000) {
    Object.assign(this, { replicas, headers, giveUpMs });
  }

  async request(method, path, body, headers = {}) {
    const started = Date.now();
    let lastError = 'no attempt';
    for (let attempt = 0; Date.now() - started < this.giveUpMs; attempt++) {
      const replica = this.replicas[this.next++ % this.replicas.length];
      try {
        const response = await fetch(`${replica.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...this.headers, ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status < 500) return { status: response.status, body: text ? JSON.parse(text) : null };
        lastError = `${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        lastError = error.cause?.code ?? error.name ?? String(error);
      }
      await sleep(Math.min(1_000, 50 * 2 ** attempt));
    }
    throw new Error(`${method} ${path}: gave up after ${this.giveUpMs} ms (${lastError})`);
  }
}

/** Calls `send(i)` at `rate` per second for `seconds`, without waiting for one call before the next. */
export async function paced(rate, seconds, send) {
  const started = Date.now();
  const pending = [];
  const count = Math.round(rate * seconds);
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(send(i));
  }
  await Promise.allSettled(pending);
}

/**
 * A user's service publishing record events with plain nats.js, connected to every node of the cluster.
 * A publish that is not acknowledged (a node died, a stream leader is being elected) is sent again with the
 * same Nats-Msg-Id, so JetStream keeps it once.
 */
export async function recordEventPublisher(servers, ledger) {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const js = jetstream(nc, { timeout: 5_000 });
  const publish = async (workspace, recordSlug, key, giveUpMs = 60_000) => {
    ledger.send(key, 'record event');
    const body = {
      eventId: key,
      event: 'record_created',
      workspaceSlug: workspace,
      recordSlug,
      recordId: key,
      data: { key },
      timestamp: new Date().toISOString(),
    };
    const started = Date.now();
    for (;;) {
      try {
        await js.publish(`records.${workspace}.${recordSlug}.record_created`, JSON.stringify(body), { msgID: key });
        ledger.accepted(key);
        return;
      } catch (error) {
        if (Date.now() - started > giveUpMs) return ledger.refused(key, String(error));
        await sleep(200);
      }
    }
  };
  return { publish, close: () => nc.close() };
}
