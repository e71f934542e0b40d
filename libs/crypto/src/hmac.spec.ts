import { createHmac } from 'node:crypto';

import { constantTimeEqual, hmacSha256, verifyHmacSha256 } from './hmac';

describe('hmac', () => {
  it('matches node:crypto for hex and base64 (RFC 4231 test case 2)', () => {
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(hmacSha256('Jefe', 'what do ya want for nothing?', 'hex')).toBe(expected);
    expect(hmacSha256('Jefe', 'what do ya want for nothing?', 'base64')).toBe(
      Buffer.from(expected, 'hex').toString('base64'),
    );
  });

  it('verifies a correct signature and refuses a tampered body or a wrong secret', () => {
    const signature = createHmac('sha256', 's3cret').update('{"a":1}').digest('hex');
    expect(verifyHmacSha256('s3cret', '{"a":1}', signature, 'hex')).toBe(true);
    expect(verifyHmacSha256('s3cret', '{"a":2}', signature, 'hex')).toBe(false);
    expect(verifyHmacSha256('other', '{"a":1}', signature, 'hex')).toBe(false);
  });

  it('compares in constant time without throwing on different lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual(Buffer.from('xyz'), new Uint8Array(Buffer.from('xyz')))).toBe(true);
  });
});
