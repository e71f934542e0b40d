import { Consumers, ServiceNames, Streams, Subjects } from './index';

describe('Subjects', () => {
  it('builds the public record-event subject of api-contract.md', () => {
    expect(Subjects.recordEvent('acme', 'orders', 'record_created')).toBe('records.acme.orders.record_created');
  });

  it('gives every service its own status subject', () => {
    const subjects = ServiceNames.map((service) => Subjects.systemStatus(service));
    expect(new Set(subjects).size).toBe(ServiceNames.length);
    expect(subjects[0]).toBe('system.v1.status.data-service');
  });

  it('routes every published subject family into exactly one stream', () => {
    const samples = [
      Subjects.recordEvent('w', 'r', 'record_updated'),
      Subjects.execRequest('w', 'f'),
      Subjects.platformEvent('w', 'function.completed'),
      Subjects.delivery('w', 's'),
      Subjects.deadLetterRecords,
      Subjects.replayJob('w'),
    ];
    const matches = (pattern: string, subject: string) => subject.startsWith(pattern.replace(/>$/, ''));
    for (const subject of samples) {
      const owners = Object.values(Streams).filter((stream) => stream.subjects.some((p) => matches(p, subject)));
      expect(owners).toHaveLength(1);
    }
  });

  it('binds every durable consumer to a declared stream', () => {
    const streamNames = Object.values(Streams).map((stream) => stream.name as string);
    for (const consumer of Object.values(Consumers)) expect(streamNames).toContain(consumer.stream);
  });

  it("filters the scheduler's outcome consumer to run outcomes only", () => {
    // NATS wildcard semantics: `*` is exactly one token.
    const matches = (filter: string, subject: string) => {
      const [f, s] = [filter.split('.'), subject.split('.')];
      return f.length === s.length && f.every((token, i) => token === '*' || token === s[i]);
    };
    const filter = Consumers.schedulerRunOutcomes.filterSubject;
    expect(matches(filter, Subjects.platformEvent('acme', 'function.completed'))).toBe(true);
    expect(matches(filter, Subjects.platformEvent('acme', 'function.failed'))).toBe(true);
    expect(matches(filter, Subjects.platformEvent('acme', 'trigger.fired'))).toBe(false);
    expect(matches(filter, Subjects.platformEvent('acme', 'record.created'))).toBe(false);
  });
});
