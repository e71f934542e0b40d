import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhook deliveries and their attempts, and each subscription's failure streak (for the automatic
 * disable). Written only by webhook-gateway.
 */
export class CreateDeliveries1764210000000 implements MigrationInterface {
  name = 'CreateDeliveries1764210000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE webhooks.deliveries (
        id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        webhook_id uuid NOT NULL,
        event_id text NOT NULL,
        event text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        replay_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await runner.query(
      'CREATE INDEX deliveries_webhook_created_idx ON webhooks.deliveries (workspace_slug, webhook_id, created_at DESC)',
    );
    await runner.query(`
      CREATE TABLE webhooks.delivery_attempts (
        delivery_id uuid NOT NULL REFERENCES webhooks.deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        status_code integer,
        latency_ms integer NOT NULL,
        error text,
        response_body text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
    await runner.query(`
      CREATE TABLE webhooks.subscription_health (
        webhook_id uuid PRIMARY KEY,
        workspace_slug text NOT NULL,
        failing_since timestamptz,
        last_success_at timestamptz,
        disabled_at timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE webhooks.subscription_health');
    await runner.query('DROP TABLE webhooks.delivery_attempts');
    await runner.query('DROP TABLE webhooks.deliveries');
  }
}
