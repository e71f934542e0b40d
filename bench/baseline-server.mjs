// The baseline: a plain Fastify 5 server with a GET returning a trigger-sized object and a POST validated
// by a compiled JSON Schema (Fastify's built-in ajv), the same GET read from Postgres, the create floor (POST
// /items-db: the trigger and version rows in one transaction), the inbound-webhook floors (POST /hook, and
// /hook-durable with one JetStream publish when NATS_URL is set), and the endpoint floor (POST /call).
// Run as its own process by the benchmarks.
import { createRequire } from 'node:module';

import { randomUUID } from 'node:crypto';

import Fastify from 'fastify';

const require = createRequire(import.meta.url);
const pg = require('pg');
// Same pool size as data-service's default (DATABASE_POOL_MAX=10).
const pool = process.env.DATABASE_URL ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }) : null;

const item = {
  id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
  name: 'manual-export',
  description: 'Manual data export trigger',
  functionId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  executionType: 'on-demand',
  triggerMetadata: { params: { format: 'csv', includeArchived: false } },
  workspaceSlug: 'bench',
  createdBy: 'bench',
  updatedBy: 'bench',
  createdAt: '2025-01-15T10:30:00.000Z',
  updatedAt: '2025-01-15T10:30:00.000Z',
  enabled: true,
  version: 1,
  isSystem: false,
};

const app = Fastify({ logger: false });
// The floors for an inbound webhook: accept and answer 202; and accept, store one JetStream message, answer 202.
app.post('/hook', async (_request, reply) => reply.code(202).send({ jobId: randomUUID() }));
const js = process.env.NATS_URL ? await durableHooks(process.env.NATS_URL) : null;
app.post('/hook-durable', async (request, reply) => {
  const jobId = randomUUID();
  await js.publish('bench.hooks.in', JSON.stringify({ jobId, body: request.body }), { msgID: jobId });
  return reply.code(202).send({ jobId });
});
// The floor for an endpoint trigger's round trip: the same trivial answer, computed in the route.
app.post('/call', async (request) => ({ ok: true, n: request.query.n ?? null }));
app.get('/item', async () => item);
// The floor for a read through Postgres: the same single-row query data-service makes, without
// Nest, auth, TypeORM or request logging.
app.get('/item-from-db/:id', async (request, reply) => {
  const { rows } = await pool.query('SELECT * FROM data.function_triggers WHERE workspace_slug = $1 AND id = $2', [
    'bench',
    request.params.id,
  ]);
  return rows[0] ?? reply.code(404).send({});
});
app.post(
  '/items',
  {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'functionId', 'executionType'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          description: { type: 'string', maxLength: 2000 },
          functionId: { type: 'string', format: 'uuid' },
          executionType: { enum: ['on-demand', 'event-driven', 'scheduled', 'webhook', 'endpoint', 'polling'] },
          triggerMetadata: { type: 'object' },
          enabled: { type: 'boolean' },
        },
      },
    },
  },
  async (request, reply) => reply.code(201).send({ ...item, ...request.body }),
);
// The floor for creating a trigger: the same two rows data-service stores (the trigger and its first version),
// plain INSERTs in one transaction per request, no validation, auth or publish. In a workspace of its own, so that
// the list measured after it pages the same 200 triggers.
app.post('/items-db', async (request, reply) => {
  const body = request.body;
  const id = randomUUID();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO data.function_triggers (id, workspace_slug, name, description, function_id, execution_type,
         trigger_metadata, created_by, updated_by) VALUES ($1, 'bench-floor', $2, $3, $4, $5, $6, 'bench', 'bench')`,
      [id, body.name, body.description, body.functionId, body.executionType, JSON.stringify(body.triggerMetadata)],
    );
    await client.query(
      `INSERT INTO data.function_trigger_versions (trigger_id, workspace_slug, version, change, snapshot, changed_by)
       VALUES ($1, 'bench-floor', 1, 'created', $2, 'bench')`,
      [id, JSON.stringify({ id, ...body })],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  return reply.code(201).send({ ...item, ...body, id });
});
async function durableHooks(url) {
  const { connect } = require('@nats-io/transport-node');
  const { jetstream, jetstreamManager } = require('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_HOOKS', subjects: ['bench.hooks.>'] }).catch(() => undefined);
  return jetstream(nc);
}

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => pool?.end())
    .then(() => process.exit(0)),
);
