import { dispositionOfError, Dispositions } from './dispositions';
import { SignalboxError } from './errors';

describe('dispositionOfError', () => {
  it('terminates a message whose error says the message itself is wrong', () => {
    for (const code of ['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const) {
      expect(dispositionOfError(new SignalboxError(code, 'bad'), 1_000)).toEqual(Dispositions.term(`${code}: bad`));
    }
  });

  it("retries anything else after the consumer's delay: accepted work is never dropped", () => {
    const retried = [
      new Error('connection terminated'),
      new SignalboxError('SERVICE_UNAVAILABLE', 'down'),
      new SignalboxError('NOT_FOUND', 'not yet visible'),
      new SignalboxError('QUOTA_EXCEEDED', 'full'),
      new SignalboxError('INTERNAL', 'bug'),
      'a string',
      undefined,
    ];
    for (const error of retried) expect(dispositionOfError(error, 2_500)).toEqual(Dispositions.retry(2_500));
  });
});
