import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SignalboxError } from '@signalbox/contracts';
import { mapError } from '@signalbox/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { EndpointService } from './endpoint.service';
import type { InboundRequest } from './inbound-request';
import { InboundTriggerIndex } from './inbound-trigger.index';
import { InboundWebhookService } from './inbound-webhook.service';

export interface InboundHttpSettings {
  /** Largest inbound webhook body (413 above). */
  readonly bodyLimitBytes: number;
  /** Requests per minute to one trigger per replica (429 with Retry-After above). */
  readonly rateLimitPerMinute: number;
}

const PREFIX = '/workspace/:slug/api/v1/webhook';
const ENDPOINTS_PREFIX = '/workspace/:slug/api/v1/endpoints';

/**
 * The inbound webhook and endpoint routes, registered on Fastify directly (not as a Nest controller) because they need the
 * exact raw bytes of any content type: signatures are computed over them. Their own scope has one parser that
 * keeps every body as a Buffer, the body limit, a per-trigger rate limit, and the contract's error envelope.
 */
export async function registerInboundRoutes(app: NestFastifyApplication, settings: InboundHttpSettings): Promise<void> {
  const service = app.get(InboundWebhookService);
  const endpoints = app.get(EndpointService);
  const index = app.get(InboundTriggerIndex);
  // @nestjs/platform-fastify brings its own copy of fastify; its types lack the plugin's augmentation.
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error, request, reply) => {
      const mapped = mapError(error);
      // The caller sees only the error id of an unexpected failure; the log keeps the cause.
      if (mapped.cause)
        request.log.error({ err: mapped.cause, errorId: mapped.envelope.error.errorId }, 'webhook failed');
      void reply.status(mapped.status).send(mapped.envelope);
    });
    await scope.register(rateLimit, {
      max: settings.rateLimitPerMinute,
      timeWindow: 60_000,
      // Keyed on the trigger the request resolves to (as the handler will resolve it, from the decoded path or
      // the id), so another spelling of the same path is not another budget; unknown paths share one per workspace.
      keyGenerator: (request) => {
        const params = request.params as { slug?: string; triggerId?: string; '*'?: string };
        const workspace = params.slug ?? '';
        const path = `/${params['*'] ?? ''}`;
        const lookup = request.routeOptions.url?.startsWith(ENDPOINTS_PREFIX)
          ? index.endpointOf(workspace, path, request.method)
          : {
              trigger:
                params.triggerId !== undefined
                  ? index.byIdOf(workspace, params.triggerId)
                  : index.byPathOf(workspace, path),
            };
        const trigger = lookup && 'trigger' in lookup ? lookup.trigger : undefined;
        return trigger ? `trigger:${trigger.id}` : `unmatched:${workspace}`;
      },
      errorResponseBuilder: (_request, context) =>
        new SignalboxError('RATE_LIMITED', `more than ${context.max} requests per minute to this trigger; retry later`),
    });

    const inbound = (request: FastifyRequest, target: Pick<InboundRequest, 'path' | 'triggerId'>): InboundRequest => ({
      workspace: (request.params as { slug: string }).slug,
      ...target,
      method: request.method,
      headers: request.headers,
      query: request.query as Record<string, unknown>,
      rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      receivedAt: new Date(),
    });
    const handle = async (
      request: FastifyRequest,
      reply: FastifyReply,
      target: Pick<InboundRequest, 'path' | 'triggerId'>,
    ) => {
      const answer = await service.accept(inbound(request, target));
      return reply.status('jobId' in answer ? 202 : 200).send(answer);
    };
    scope.all(`${PREFIX}/by-id/:triggerId`, (request, reply) =>
      handle(request, reply, { triggerId: (request.params as { triggerId: string }).triggerId }),
    );
    scope.all(`${PREFIX}/*`, (request, reply) =>
      handle(request, reply, { path: `/${(request.params as { '*': string })['*']}` }),
    );
    scope.all(`${ENDPOINTS_PREFIX}/*`, async (request, reply) => {
      const response = await endpoints.call(inbound(request, { path: `/${(request.params as { '*': string })['*']}` }));
      return reply.status(response.status).headers(response.headers).send(response.body);
    });
  });
}
