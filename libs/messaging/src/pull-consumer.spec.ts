import { Dispositions, SignalboxError } from '@signalbox/contracts';

import { decodeJson, settle } from './pull-consumer';

function fakeMessage() {
  const calls: string[] = [];
  return {
    calls,
    ack: () => void calls.push('ack'),
    nak: (delay?: number) => void calls.push(delay === undefined ? 'nak' : `nak ${delay}`),
    term: (reason?: string) => void calls.push(`term ${reason ?? ''}`),
  };
}

const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('settle', () => {
  it('acks, naks with the delay (at once for 0) and terms with the reason, logged', () => {
    const message = fakeMessage();
    settle(message, Dispositions.ack(), logger, () => 'm');
    settle(message, Dispositions.retry(1_500), logger, () => 'm');
    settle(message, Dispositions.retry(0), logger, () => 'm');
    settle(message, Dispositions.term('malformed'), logger, () => 'seq 7');
    expect(message.calls).toEqual(['ack', 'nak 1500', 'nak', 'term malformed']);
    expect(logger.error).toHaveBeenCalledWith('seq 7 terminated: malformed');
  });
});

describe('decodeJson', () => {
  it('answers the body, or a VALIDATION_ERROR (which terminates the message)', () => {
    expect(decodeJson({ json: <T>() => ({ runId: 'r' }) as T }, 'request')).toEqual({ runId: 'r' });
    const broken = {
      json: () => {
        throw new SyntaxError('Unexpected token');
      },
    };
    expect(() => decodeJson(broken, 'execution request')).toThrow(
      new SignalboxError('VALIDATION_ERROR', 'malformed execution request: not JSON'),
    );
  });
});
