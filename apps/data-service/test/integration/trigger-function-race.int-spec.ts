import { randomUUID } from 'node:crypto';

import { SignalboxError } from '@signalbox/contracts';
import { Database } from '@signalbox/persistence';
import { createTestDatabase, type TestDatabase } from '@signalbox/testing';

import { entities } from '../../src/database/entities';
import { migrations } from '../../src/database/migrations';
import type { FunctionTriggerEntity } from '../../src/function-triggers/function-trigger.entity';
import { FunctionTriggerRepository } from '../../src/function-triggers/function-trigger.repository';

const quiet = { info: () => undefined, warn: () => undefined };

/**
 * Creating a trigger checks its function first, then inserts: a function deleted in between (another request) makes
 * the insert break the foreign key. That answered 500; it is the check's own 400 now.
 */
describe('a trigger written for a function deleted since the check', () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(
      { url: db.url, schema: 'data', poolMax: 2, applicationName: 'trigger-race', entities, migrations },
      quiet,
    );
    await database.whenReady();
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('is refused as a validation error on functionId, and nothing is written', async () => {
    const now = new Date();
    const trigger: FunctionTriggerEntity = {
      id: randomUUID(),
      workspaceSlug: 'acme',
      name: 'orphan',
      description: '',
      functionId: randomUUID(), // checked a moment ago, deleted since
      executionType: 'on-demand',
      triggerMetadata: {},
      enabled: true,
      isSystem: false,
      version: 1,
      createdBy: 'alice',
      updatedBy: 'alice',
      createdAt: now,
      updatedAt: now,
    };
    const refused = await new FunctionTriggerRepository(database)
      .create(trigger, { change: 'created', snapshot: {} })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(SignalboxError);
    expect(refused).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: ['functionId'] }] });
    const rows = await database.source.query<unknown[]>('SELECT 1 FROM data.function_triggers WHERE id = $1', [
      trigger.id,
    ]);
    expect(rows).toEqual([]);
  });
});
