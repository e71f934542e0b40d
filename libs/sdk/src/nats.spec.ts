import { checkRecordEvent } from './nats.js';

const event = { event: 'record_created', workspaceSlug: 'acme', recordSlug: 'orders', recordId: 'o-1', data: {} };
const paths = (candidate: Record<string, unknown>) => checkRecordEvent(candidate).map((p) => p.path.join('.'));

describe(checkRecordEvent.name, () => {
  it('accepts an event as the schema has it', () => {
    expect(paths({ ...event, timestamp: '2026-12-06T10:00:00.123Z', eventId: 'e:1' })).toEqual([]);
    expect(paths({ ...event, timestamp: '2026-12-06T11:00:00+01:00' })).toEqual([]);
  });

  it('refuses timestamps the router refuses (RFC 3339 date-time only), as it would dead-letter them', () => {
    for (const timestamp of ['2026-12-06', '2026-12-06T10:00:00', 'Dec 6 2026', '2026-13-06T10:00:00Z'])
      expect([timestamp, paths({ ...event, timestamp })]).toEqual([timestamp, ['timestamp']]);
  });

  it('refuses what is missing, malformed or nested deeper than 100 levels', () => {
    const { recordId: _missing, ...withoutId } = event;
    expect(paths(withoutId)).toEqual(['recordId']);
    expect(paths({ ...event, event: 'record_made', recordSlug: 'no spaces' })).toEqual(['event', 'recordSlug']);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 101; i++) deep = { deep };
    expect(paths({ ...event, data: deep })).toEqual(['data']);
  });
});
