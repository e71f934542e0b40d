import { eventRunId, replayRunId } from '@signalbox/contracts';

import { parseRecordEvent } from './record-event.parser';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const body = {
  eventId: 'evt-1',
  event: 'record_created',
  workspaceSlug: 'acme',
  recordSlug: 'orders',
  recordId: 'rec-1',
  data: { total: 5 },
  timestamp: '2025-01-15T10:30:00.000Z',
};
const subject = 'records.acme.orders.record_created';

describe('parseRecordEvent', () => {
  it('accepts the contract, with or without eventId and timestamp, and extra fields', () => {
    expect(parseRecordEvent(subject, encode(body))).toEqual({ ok: true, event: body });
    const { eventId: _eventId, timestamp: _timestamp, ...minimal } = body;
    expect(parseRecordEvent(subject, encode({ ...minimal, source: 'crm' })).ok).toBe(true);
  });

  it.each([
    ['not JSON', 'oops{', /^not JSON: /],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x00]), /^not JSON: /],
    ['an unknown event', { ...body, event: 'record_made' }, /record-event schema: \/event/],
    ['no recordId', { ...body, recordId: undefined }, /must have required property 'recordId'/],
    ['data that is not an object', { ...body, data: [1, 2] }, /\/data must be object/],
    ['a bad timestamp', { ...body, timestamp: 'yesterday' }, /\/timestamp must match format "date-time"/],
    [
      'data nested 10,000 levels',
      new TextEncoder().encode(
        JSON.stringify(body).replace('"data":{"total":5}', `"data":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      ),
      /^nested deeper than 100 levels$/,
    ],
  ])('refuses %s with the reason', (_case, payload, reason) => {
    const data = payload instanceof Uint8Array ? payload : encode(payload);
    const result = parseRecordEvent(subject, data);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses a subject that disagrees with the body, naming the field', () => {
    expect(parseRecordEvent('records.other.orders.record_created', encode(body))).toEqual({
      ok: false,
      reason: 'subject says workspaceSlug "other" but the body says "acme"',
    });
    expect(parseRecordEvent('records.acme.orders.record_updated', encode(body))).toMatchObject({
      reason: 'subject says event "record_updated" but the body says "record_created"',
    });
    expect(parseRecordEvent('records.acme.orders', encode(body))).toMatchObject({ ok: false });
  });
});

describe('run ids', () => {
  it('are the same for the same (workspace, event, trigger) and differ otherwise', () => {
    const id = eventRunId('acme', 'evt-1', 'trigger-a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventRunId('acme', 'evt-1', 'trigger-a')).toBe(id);
    expect(
      new Set([
        id,
        eventRunId('acme', 'evt-1', 'trigger-b'),
        eventRunId('other', 'evt-1', 'trigger-a'),
        eventRunId('acme', 'evt-2', 'trigger-a'),
        replayRunId('acme', 'evt-1', 'trigger-a', 'replay-1'),
        replayRunId('acme', 'evt-1', 'trigger-a', 'replay-2'),
      ]).size,
    ).toBe(6);
  });
});
