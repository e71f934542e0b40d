import { errorResponse, isResponseShape, responseFromResult, sanitizeHeaders } from './endpoint-response';

describe('endpoint responses', () => {
  it('answers any result that is not a response shape as 200 JSON', () => {
    expect(responseFromResult({ total: 3 })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"total":3}',
    });
    expect(responseFromResult(undefined).body).toBe('null');
    expect(responseFromResult('plain').body).toBe('"plain"');
    // Looks like a response, but is data: the status is not an HTTP status, or there are other keys.
    expect(responseFromResult({ status: 'ok' }).status).toBe(200);
    expect(responseFromResult({ status: 201, count: 2 }).body).toBe('{"status":201,"count":2}');
    expect(responseFromResult({ status: 99 }).status).toBe(200);
    expect(responseFromResult({ status: 201.5 }).status).toBe(200);
  });

  it('shapes status, headers and body from { status, headers, body }', () => {
    expect(responseFromResult({ status: 201, headers: { 'X-Quote-Id': 'q_1' }, body: { price: 12 } })).toEqual({
      status: 201,
      headers: { 'x-quote-id': 'q_1', 'content-type': 'application/json; charset=utf-8' },
      body: '{"price":12}',
    });
    expect(responseFromResult({ status: 418, body: 'short and stout' })).toEqual({
      status: 418,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'short and stout',
    });
    expect(
      responseFromResult({ status: 200, headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' }).headers,
    ).toEqual({ 'content-type': 'text/csv' });
    expect(responseFromResult({ status: 204, body: 'ignored' })).toEqual({ status: 204, headers: {}, body: '' });
    expect(responseFromResult({ status: 302, headers: { location: '/next' } })).toEqual({
      status: 302,
      headers: { location: '/next' },
      body: '',
    });
  });

  it('drops headers that HTTP cannot carry, that the HTTP layer owns, and cookies, instead of failing the call', () => {
    expect(
      sanitizeHeaders({
        'x-ok': 1,
        'x-flag': true,
        'x-list': ['a=1', 'b=2', { bad: true }],
        'set-cookie': ['session=another-tenant-sees-this'],
        'Set-Cookie': 'session=x',
        'bad name': 'x',
        'x-injected': 'a\r\nx-evil: 1',
        'content-length': '999',
        'transfer-encoding': 'chunked',
        'x-object': { nested: true },
        'x-signalbox-job-id': 'forged',
      }),
    ).toEqual({ 'x-ok': '1', 'x-flag': 'true', 'x-list': ['a=1', 'b=2'] });
    expect(sanitizeHeaders('not headers')).toEqual({});
    expect(isResponseShape({ status: 200, headers: 'x' })).toBe(true);
  });

  it('builds the contract envelope with the run id', () => {
    const sut = errorResponse('FUNCTION_FAILED', 'the function failed', { jobId: 'job-1' });
    expect(sut.status).toBe(500);
    expect(JSON.parse(sut.body)).toEqual({
      success: false,
      error: { code: 'FUNCTION_FAILED', message: 'the function failed' },
      jobId: 'job-1',
    });
    expect(errorResponse('METHOD_NOT_ALLOWED', 'no', { headers: { allow: 'POST' } }).headers).toMatchObject({
      allow: 'POST',
    });
  });
});
