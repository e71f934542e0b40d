import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RecordEventNames, RecordEventSchema, RecordWebhookEvents } from './index';

describe('the record-event contract', () => {
  it('is published as docs/record-event.schema.json, kept equal to the schema the router checks', () => {
    const published = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', 'docs', 'record-event.schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    const { $schema, ...schema } = published;
    expect($schema).toBe('http://json-schema.org/draft-07/schema#');
    // Regenerate after changing the schema: see docs/record-events.md.
    expect(schema).toEqual(JSON.parse(JSON.stringify(RecordEventSchema)));
  });

  it('maps every record event to its outbound webhook event, and the *_failed ones to none', () => {
    expect(Object.keys(RecordWebhookEvents)).toEqual([...RecordEventNames]);
    expect(Object.values(RecordWebhookEvents).filter(Boolean)).toEqual([
      'record.created',
      'record.updated',
      'record.deleted',
      'record.restored',
      'record.reverted',
    ]);
  });
});
