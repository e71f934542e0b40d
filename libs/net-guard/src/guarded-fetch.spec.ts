import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type FetchPolicy, FetchRefused, guardedFetch, isPublicAddress, vetUrl } from './guarded-fetch';

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111'])('accepts the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '::1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    'fd00:ec2::254',
    'fe80::1',
    '100.64.0.1',
    '0.0.0.0',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '224.0.0.1',
    '::7f00:1',
    '::808:808',
    '::169.254.169.254',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('guardedFetch', () => {
  let server: Server;
  let base: string;
  const policy = (extra: Partial<FetchPolicy> = {}): FetchPolicy => ({
    allowPrivateNetworks: false,
    allowedHosts: [],
    timeoutMs: 2_000,
    maxResponseBytes: 1_024,
    maxRedirects: 2,
    ...extra,
  });

  let other: Server;
  let otherBase: string;

  beforeAll(async () => {
    // Another origin (same host, another port): it answers the headers it got.
    other = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(request.headers));
    });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    server = createServer((request, response) => {
      if (request.url === '/to-other') {
        response.writeHead(302, { location: `${otherBase}/echo` }).end();
        return;
      }
      if (request.url === '/to-self') {
        response.writeHead(307, { location: '/echo' }).end();
        return;
      }
      if (request.url === '/echo') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(request.headers));
        return;
      }
      if (request.url === '/redirect') {
        response.writeHead(302, { location: '/big' }).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(4_000));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.close();
    other.close();
  });

  it('drops credentials on a redirect to another origin, as WHATWG fetch does, and keeps them on the same one', async () => {
    const allowed = policy({ allowedHosts: ['127.0.0.0/8'], maxResponseBytes: 65_536 });
    const headers = {
      authorization: 'Bearer secret',
      cookie: 'session=secret',
      'proxy-authorization': 'Basic secret',
      'x-api-key': 'secret',
      'x-trace': 'kept',
    };
    const elsewhere = JSON.parse((await guardedFetch(`${base}/to-other`, { headers }, allowed)).body) as Record<
      string,
      string
    >;
    expect(elsewhere).toMatchObject({ 'x-trace': 'kept', 'x-api-key': 'secret' });
    expect(elsewhere).not.toHaveProperty('authorization');
    expect(elsewhere).not.toHaveProperty('cookie');
    expect(elsewhere).not.toHaveProperty('proxy-authorization');
    // Headers a caller marks as credentials (a polling trigger's sealed ones) are dropped too.
    const marked = JSON.parse(
      (await guardedFetch(`${base}/to-other`, { headers, sensitiveHeaders: ['X-Api-Key'] }, allowed)).body,
    ) as Record<string, string>;
    expect(marked).not.toHaveProperty('x-api-key');
    const same = JSON.parse((await guardedFetch(`${base}/to-self`, { headers }, allowed)).body) as Record<
      string,
      string
    >;
    expect(same).toMatchObject({ authorization: 'Bearer secret', cookie: 'session=secret' });
  });

  it.each(['169.254.169.254', '[fd00:ec2::254]', '169.254.170.2', '100.100.100.200'])(
    'refuses the cloud metadata address %s even when private networks are allowed, unless it is named',
    async (host) => {
      const url = new URL(`http://${host}/latest/meta-data/`);
      await expect(vetUrl(url, policy({ allowPrivateNetworks: true }))).rejects.toThrow(/metadata/);
      await expect(
        vetUrl(url, policy({ allowPrivateNetworks: true, allowedHosts: [url.hostname.replace(/^\[|\]$/g, '')] })),
      ).resolves.toBeDefined();
    },
  );

  it('refuses loopback, naming who fetched, unless the operator allows its range', async () => {
    await expect(guardedFetch(`${base}/big`, {}, policy({ label: 'webhook delivery' }))).rejects.toThrow(
      /^webhook delivery refused 127\.0\.0\.1:\d+: it resolves to 127\.0\.0\.1, which is not a public address$/,
    );
    await expect(vetUrl(new URL(`${base}/big`), policy({ allowedHosts: ['10.0.0.0/8'] }))).rejects.toThrow(
      FetchRefused,
    );
    await expect(vetUrl(new URL(`${base}/big`), policy({ allowedHosts: ['127.0.0.0/8'] }))).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
  });

  it('fails a response over the cap, or cuts it there when asked to', async () => {
    const allowed = policy({ allowedHosts: ['127.0.0.0/8'] });
    await expect(guardedFetch(`${base}/big`, {}, allowed)).rejects.toThrow('response is larger than 1024 bytes');
    const cut = await guardedFetch(`${base}/big`, {}, { ...allowed, truncateResponse: true });
    expect(cut).toMatchObject({ status: 200, truncated: true });
    expect(cut.body).toHaveLength(1_024);
  });

  it('answers a redirect as it is when redirects are not followed', async () => {
    const allowed = policy({ allowedHosts: ['127.0.0.0/8'], truncateResponse: true });
    expect((await guardedFetch(`${base}/redirect`, {}, allowed)).status).toBe(200);
    const kept = await guardedFetch(`${base}/redirect`, {}, { ...allowed, followRedirects: false });
    expect(kept).toMatchObject({ status: 302, ok: false, headers: { location: '/big' } });
  });
});
