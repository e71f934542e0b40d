import { Signalbox } from './client.js';

const JOB = '00000000-0000-4000-8000-000000000001';

/** A data-service that answers the run (running, then completed), and whose live stream never answers. */
function platform() {
  let looks = 0;
  const fetch = jest.fn((input: Request | string) => {
    const url = typeof input === 'string' ? input : input.url;
    if (url.includes('/live')) return new Promise<Response>(() => undefined); // a proxy that holds it back
    looks++;
    const status = looks < 3 ? 'running' : 'completed';
    return Promise.resolve(Response.json({ jobId: JOB, status }));
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, looks: () => looks };
}

describe('runs.waitFor', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('looks at the run from time to time when the live stream does not open', async () => {
    const { fetch, looks } = platform();
    const client = new Signalbox({ baseUrl: 'http://signalbox.test', workspace: 'acme', token: 't', fetch });
    const run = client.runs.waitFor(JOB, { timeoutMs: 30_000, intervalMs: 100 });
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(run).resolves.toMatchObject({ status: 'completed' });
    expect(looks()).toBe(3);
  });
});
