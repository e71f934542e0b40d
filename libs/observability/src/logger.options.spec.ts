import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { type Options, pinoHttp } from 'pino-http';

import { loggerParams, redactQuery, TRACE_ID_OF_REQUEST } from './logger.options';

describe('redactQuery', () => {
  it('hides the values of credential-looking query parameters in access logs, and nothing else', () => {
    expect(redactQuery('/workspace/acme/api/v1/webhook/hook?token=s3cret&order=7')).toBe(
      '/workspace/acme/api/v1/webhook/hook?token=%5Bredacted%5D&order=7',
    );
    expect(redactQuery('/x?api_key=a&Signature=b&sig=c')).not.toMatch(/=a|=b|=c/);
    expect(redactQuery('/x?order=7&page=2')).toBe('/x?order=7&page=2');
    expect(redactQuery('/health/ready')).toBe('/health/ready');
  });
});

describe('the access log line (pino-http with loggerParams)', () => {
  it('is written whole for a success and a failure, with the trace id the server span left on the request', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const { pinoHttp: options } = loggerParams({ service: 's', version: '1', instanceId: 'i', level: 'info' });
    const log = pinoHttp(options as Options, sink);
    const server = createServer((req, res) => {
      if (req.url !== '/untraced') {
        (req as typeof req & { [TRACE_ID_OF_REQUEST]?: string })[TRACE_ID_OF_REQUEST] = 'a'.repeat(32);
      }
      log(req, res);
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ['/fine', '/broken', '/untraced']) await (await fetch(`${base}${path}`)).text();
    server.close();
    await new Promise((resolve) => setImmediate(resolve));

    const line = (url: string) => lines.find((entry) => (entry.req as { url: string }).url === url);
    expect(line('/fine')).toMatchObject({
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      traceId: 'a'.repeat(32),
    });
    expect(line('/broken')).toMatchObject({
      level: 50,
      res: { statusCode: 500 },
      err: { message: 'failed with status code 500' },
      responseTime: expect.any(Number),
      traceId: 'a'.repeat(32),
    });
    expect(line('/untraced')).toMatchObject({ res: { statusCode: 200 } });
    expect(line('/untraced')).not.toHaveProperty('traceId');
  });
});
