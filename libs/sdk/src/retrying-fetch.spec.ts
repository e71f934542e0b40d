import { retryingFetch } from './retrying-fetch.js';

/** A fetch that answers from a script and records what it was asked. */
function scripted(...answers: Array<Response | Error>) {
  const seen: Array<{ method: string; key: string | null; body: string }> = [];
  const fetch = jest.fn(async (request: Request) => {
    seen.push({ method: request.method, key: request.headers.get('idempotency-key'), body: await request.text() });
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, seen };
}

const post = (headers: Record<string, string> = {}) =>
  new Request('http://signalbox.test/x', { method: 'POST', body: '{"a":1}', headers });

describe(retryingFetch.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries a 429 after its Retry-After, even a POST (refused before any work), with the same body', async () => {
    const { fetch, seen } = scripted(
      new Response('', { status: 429, headers: { 'retry-after': '2' } }),
      new Response('ok'),
    );
    const answer = retryingFetch(fetch)(post());
    await jest.advanceTimersByTimeAsync(1_999);
    expect(seen).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect((await answer).status).toBe(200);
    expect(seen.map((s) => s.body)).toEqual(['{"a":1}', '{"a":1}']);
  });

  it('retries a 503 or a lost connection only when repeating cannot do the work twice', async () => {
    const unsafe = scripted(new Response('', { status: 503 }), new Response('ok'));
    expect((await retryingFetch(unsafe.fetch)(post())).status).toBe(503);
    expect(unsafe.seen).toHaveLength(1);

    const lost = scripted(new Error('socket hang up'));
    await expect(retryingFetch(lost.fetch)(post())).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(lost.seen).toHaveLength(1);

    const keyed = scripted(new Error('socket hang up'), new Response('', { status: 503 }), new Response('ok'));
    const answer = retryingFetch(keyed.fetch)(post({ 'idempotency-key': 'k1' }));
    await jest.runAllTimersAsync();
    expect((await answer).status).toBe(200);
    expect(keyed.seen.map((s) => s.key)).toEqual(['k1', 'k1', 'k1']);
  });

  it('gives up after the retries it was given, answering the last answer', async () => {
    const { fetch, seen } = scripted(...Array.from({ length: 5 }, () => new Response('', { status: 429 })));
    const answer = retryingFetch(fetch, { retries: 2, maxDelayMs: 10 })(new Request('http://signalbox.test/x'));
    await jest.runAllTimersAsync();
    expect((await answer).status).toBe(429);
    expect(seen).toHaveLength(3);
  });

  it('does not repeat a PUT or DELETE whose answer was lost: it may have been done', async () => {
    for (const method of ['PUT', 'DELETE']) {
      const lost = scripted(new Error('socket hang up'), new Response('ok'));
      await expect(retryingFetch(lost.fetch)(new Request('http://signalbox.test/x', { method }))).rejects.toMatchObject(
        {
          code: 'NETWORK_ERROR',
        },
      );
      expect(lost.seen).toHaveLength(1);
    }
  });

  it('answers the 429 at once when its Retry-After is longer than it may wait', async () => {
    const { fetch, seen } = scripted(new Response('', { status: 429, headers: { 'retry-after': '3600' } }));
    expect((await retryingFetch(fetch, { maxDelayMs: 1_000 })(post())).status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  it('stops waiting as soon as the request is aborted', async () => {
    const { fetch, seen } = scripted(new Response('', { status: 429, headers: { 'retry-after': '20' } }));
    const controller = new AbortController();
    const answer = retryingFetch(fetch)(new Request('http://signalbox.test/x', { signal: controller.signal }));
    await jest.advanceTimersByTimeAsync(100);
    controller.abort(new Error('the caller gave up'));
    await expect(answer).rejects.toThrow('the caller gave up');
    expect(seen).toHaveLength(1);
  });
});
