import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  PathItemObject,
  RequestBodyObject,
  ResponseObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger';
import {
  ENDPOINT_TIMEOUT_MS,
  ERROR_ENVELOPE_REF,
  errorEnvelopeJsonSchema,
  rateLimitHeaders,
  TEST_SAMPLES_KEPT,
} from '@signalbox/contracts';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI 3.1 document of the gateway's public routes (inbound.routes.ts), written by hand: they are plain
 * Fastify routes, not Nest controllers, and "the rest of the path" is no OpenAPI path template. Served at
 * GET /docs-json; e2e/test/openapi.e2e-spec.ts validates it and keeps docs/openapi-gateway.json equal to it.
 * Health and metrics are operator routes, and test samples are NATS request-reply: neither is in it.
 */

/**
 * The methods documented: an endpoint trigger's `triggerMetadata.method` takes these (EndpointMethods); webhook
 * routes take any method (Fastify's `all`), and these are the ones senders use.
 */
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

type ComponentKind = 'schemas' | 'responses' | 'headers' | 'parameters' | 'requestBodies';
const ref = (kind: ComponentKind, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Every answer of a route that passed the rate limit carries the `X-RateLimit-*` headers. */
const WINDOW_HEADERS = {
  'X-RateLimit-Limit': ref('headers', 'X-RateLimit-Limit'),
  'X-RateLimit-Remaining': ref('headers', 'X-RateLimit-Remaining'),
  'X-RateLimit-Reset': ref('headers', 'X-RateLimit-Reset'),
};
/** An endpoint call's answers once its run exists. */
const RUN_HEADERS = { 'X-Signalbox-Job-Id': ref('headers', 'X-Signalbox-Job-Id'), ...WINDOW_HEADERS };

const json = (schema: SchemaObject | { $ref: string }) => ({ 'application/json': { schema } });

const error = (
  description: string,
  options: { headers?: ResponseObject['headers']; schema?: string } = {},
): ResponseObject => ({
  description,
  headers: options.headers ?? WINDOW_HEADERS,
  content: json(options.schema ? ref('schemas', options.schema) : { $ref: ERROR_ENVELOPE_REF }),
});

/** The answers, once each in `components.responses`; the operations refer to them. */
const RESPONSES = {
  WebhookIgnored: {
    description:
      "The request is verified but does not match the trigger's `filter`: nothing was started. Or, on a trigger " +
      "with provider `slack`, Slack's `url_verification` request: its `challenge`, echoed, and nothing started.",
    headers: WINDOW_HEADERS,
    content: json({ oneOf: [ref('schemas', 'WebhookIgnored'), ref('schemas', 'WebhookChallenge')] }),
  },
  WebhookAccepted: {
    description:
      'The run is queued durably (follow it at `GET /workspace/{workspace}/api/v1/function-runs/{jobId}` on ' +
      "data-service). A redelivery within 24 h (the provider's delivery id or `Idempotency-Key` seen before) " +
      'answers the first delivery\'s job with `"duplicate": true`, and nothing new starts.',
    headers: WINDOW_HEADERS,
    content: json(ref('schemas', 'WebhookAccepted')),
  },
  EndpointResult: {
    description:
      "The function's result, as JSON, when it is not exactly `{ status, headers?, body? }`; or the function's " +
      'own answer with status 200 (a string body as text, anything else as JSON).',
    headers: RUN_HEADERS,
    content: { 'application/json': { schema: {} }, '*/*': { schema: { type: 'string' } } },
  },
  EndpointAccepted: {
    description:
      "The run was still going at the trigger's `timeoutMs` and its `timeoutResponse` is `accepted` (the " +
      'default): it goes on; `statusUrl` is its status on the REST API (a token with `function-runs:read`).',
    headers: RUN_HEADERS,
    content: json(ref('schemas', 'EndpointAccepted')),
  },
  EndpointAnswer: {
    description:
      "The function's own answer: a result that is exactly `{ status, headers?, body? }` with an integer status " +
      'from 200 to 599 gives that status and those headers (except those HTTP owns, and `set-cookie`); a string ' +
      'body as is (`text/plain` unless set), anything else as JSON; 204 and 304 without a body.',
    headers: RUN_HEADERS,
    content: { '*/*': { schema: {} } },
  },
  ValidationError: error(
    "VALIDATION_ERROR: the body breaks the trigger's `inputSchema`, or is JSON nested too deep (`details` names " +
      'the problem); or the URL is malformed (it does not decode, or the workspace segment is longer than 100 ' +
      'characters). Nothing was started.',
  ),
  SignatureRefused: error(
    'UNAUTHORIZED: the trigger has `validateSignature` on and the signature does not verify (no detail is given).',
  ),
  WebhookNotFound: error('NOT_FOUND: no webhook trigger at this path in this workspace.'),
  WebhookByIdNotFound: error('NOT_FOUND: no webhook trigger with this id in this workspace.'),
  EndpointNotFound: error('NOT_FOUND: no endpoint trigger at this path in this workspace.'),
  MethodNotAllowed: error(
    'METHOD_NOT_ALLOWED: the endpoint triggers at this path answer other methods (`Allow` lists them).',
    { headers: { Allow: ref('headers', 'Allow'), ...WINDOW_HEADERS } },
  ),
  TriggerDisabled: error('INVALID_STATUS: the trigger is disabled.'),
  PayloadTooLarge: error(
    'PAYLOAD_TOO_LARGE: the body is larger than WEBHOOK_BODY_LIMIT_BYTES (default 1 MiB); the trigger was not ' +
      'looked up.',
  ),
  UnsupportedMediaType: error('UNSUPPORTED_MEDIA_TYPE: the Content-Type header is not a valid media type.'),
  TooManyRequests: error(
    'RATE_LIMITED: more than WEBHOOK_RATE_LIMIT_PER_MINUTE requests to this trigger in the last minute on this ' +
      'gateway replica (with `Retry-After`); or QUOTA_EXCEEDED: the workspace has RUNS_IN_FLIGHT_PER_WORKSPACE ' +
      'runs waiting or running, retry when some have finished (no `Retry-After`). Nothing was started.',
    { headers: { 'Retry-After': ref('headers', 'Retry-After'), ...WINDOW_HEADERS } },
  ),
  ServiceUnavailable: error(
    'SERVICE_UNAVAILABLE: the gateway is starting (its trigger index is not loaded yet), or the run could not be ' +
      'queued (NATS unreachable). Nothing was started; retry.',
  ),
  FunctionFailed: error(
    'FUNCTION_FAILED: the function threw (the error stays in the run record); or INTERNAL: its result is too ' +
      'large for a synchronous answer (the run records it).',
    { headers: RUN_HEADERS, schema: 'EndpointErrorEnvelope' },
  ),
  GatewayTimeout: error(
    "GATEWAY_TIMEOUT: the function ran out of its own time, or the trigger's `timeoutMs` passed and its " +
      '`timeoutResponse` is `gateway-timeout` (the run goes on).',
    { headers: RUN_HEADERS, schema: 'EndpointErrorEnvelope' },
  ),
} satisfies Record<string, ResponseObject>;
type Answer = keyof typeof RESPONSES;

const WEBHOOK_DESCRIPTION =
  "Runs the function of the workspace's webhook trigger. Public (no token): when the trigger has " +
  "`params.validateSignature`, the sender is authenticated by its provider's signature headers over the exact " +
  'bytes of the body (`Stripe-Signature`; `X-Hub-Signature-256`; `X-Slack-Signature` and ' +
  '`X-Slack-Request-Timestamp`; `X-Shopify-Hmac-Sha256`; Standard Webhooks `webhook-id`, `webhook-timestamp` and ' +
  "`webhook-signature`, or the same under `svix-*` names; or the trigger's `signatureHeader`, default " +
  '`X-Signature`, for `hmac-sha256`). A request ' +
  "that passes is answered once its run is queued durably (202), or with 200 when the trigger's `filter` does not " +
  `match it. Each request to an enabled trigger is kept as one of its last ${TEST_SAMPLES_KEPT} test samples ` +
  "(data-service's `GET .../function-triggers/{id}/test-samples`). Any method is accepted (HEAD, OPTIONS and the " +
  'rest too); the function receives the method, the path, the headers without credentials, the query, the body ' +
  '(parsed when it is JSON) and the raw bytes.';

const ENDPOINT_DESCRIPTION =
  "Calls the workspace's endpoint trigger at `triggerMetadata.path` = `/{path}` for this method (a trigger " +
  "without `method` answers every method) and answers with its function's result: the call is a recorded run, and " +
  'every answer once the run exists carries its id in `X-Signalbox-Job-Id`. Public (no token): with ' +
  "`params.validateSignature`, the caller is authenticated by its provider's signature as for webhooks (401 " +
  "otherwise, nothing runs); else the function decides what to check (it receives the request's headers without " +
  'credentials). The caller waits until the ' +
  `trigger's \`timeoutMs\` (default and at most ${ENDPOINT_TIMEOUT_MS} ms); past it, 202 with the job id (or 504 ` +
  'with `timeoutResponse: gateway-timeout`), and the run goes on.';

const requestBody: RequestBodyObject = {
  description:
    'Any content type, kept as the exact bytes (signatures are checked over them): the function gets them as ' +
    'base64 in `rawBody`, and in `body` the parsed JSON when the Content-Type says JSON and it parses (the ' +
    'filter and `inputSchema` see that too), else the text.',
  required: false,
  content: {
    'application/json': { schema: { type: 'object', additionalProperties: true } },
    '*/*': { schema: { type: 'string', format: 'binary' } },
  },
};

const responses = (answers: { readonly [status: number]: Answer; readonly default?: Answer }): ResponsesObject =>
  Object.fromEntries(Object.entries<Answer>(answers).map(([status, name]) => [status, ref('responses', name)]));

const WEBHOOK_ANSWERS = {
  200: 'WebhookIgnored',
  202: 'WebhookAccepted',
  400: 'ValidationError',
  401: 'SignatureRefused',
  409: 'TriggerDisabled',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
} as const;

/** One path's operations, one per method; what they share (description, parameters) is on the path item. */
function pathItem(
  description: string,
  parameters: string[],
  operation: (method: Method) => Omit<OperationObject, 'security' | 'requestBody'>,
): PathItemObject {
  return {
    description,
    parameters: parameters.map((name) => ref('parameters', name)),
    ...Object.fromEntries(
      METHODS.map((method) => [
        method,
        {
          ...operation(method),
          security: [],
          // Fastify reads no body on a GET.
          ...(method === 'get' ? {} : { requestBody: ref('requestBodies', 'AnyBody') }),
        },
      ]),
    ),
  };
}

const pathParameter = (name: string, description: string, schema: SchemaObject = { type: 'string' }) =>
  ({ name, in: 'path', required: true, description, schema }) satisfies ParameterObject;

const restOfPath = (trigger: 'webhook' | 'endpoint') =>
  pathParameter(
    'path',
    `The ${trigger} trigger's \`triggerMetadata.path\` without its leading \`/\` (\`stripe/invoices\` for ` +
      '`/stripe/invoices`): letters, digits, `-._~` and `/`. It may contain `/`, since everything after the prefix ' +
      'is the path: clients must send those slashes as they are, not percent-encoded as `%2F` (as generated ' +
      'clients encode path parameters by default), so that the URL stays the one the trigger shows.',
    { type: 'string', maxLength: 255 },
  );

/** The gateway's OpenAPI document; `version` is the service's. */
export function inboundOpenApiDocument(version: string): OpenAPIObject {
  const paths: Record<string, PathItemObject> = {
    '/workspace/{workspace}/api/v1/webhook/{path}': pathItem(
      `${WEBHOOK_DESCRIPTION} This URL finds the trigger whose \`triggerMetadata.path\` is \`/{path}\`.`,
      ['workspace', 'webhookPath', 'Idempotency-Key'],
      (method) => ({
        tags: ['webhooks'],
        operationId: `${method}WebhookByPath`,
        summary: `${method.toUpperCase()} to a webhook trigger by path`,
        responses: responses({ ...WEBHOOK_ANSWERS, 404: 'WebhookNotFound' }),
      }),
    ),
    '/workspace/{workspace}/api/v1/webhook/by-id/{triggerId}': pathItem(
      `${WEBHOOK_DESCRIPTION} This URL finds the trigger by its id: it does not change when the trigger's path does.`,
      ['workspace', 'triggerId', 'Idempotency-Key'],
      (method) => ({
        tags: ['webhooks'],
        operationId: `${method}WebhookById`,
        summary: `${method.toUpperCase()} to a webhook trigger by id`,
        responses: responses({ ...WEBHOOK_ANSWERS, 404: 'WebhookByIdNotFound' }),
      }),
    ),
    '/workspace/{workspace}/api/v1/endpoints/{path}': pathItem(
      ENDPOINT_DESCRIPTION,
      ['workspace', 'endpointPath'],
      (method) => ({
        tags: ['endpoints'],
        operationId: `${method}Endpoint`,
        summary: `${method.toUpperCase()} to an endpoint trigger`,
        responses: responses({
          200: 'EndpointResult',
          202: 'EndpointAccepted',
          400: 'ValidationError',
          401: 'SignatureRefused',
          404: 'EndpointNotFound',
          405: 'MethodNotAllowed',
          409: 'TriggerDisabled',
          413: 'PayloadTooLarge',
          415: 'UnsupportedMediaType',
          429: 'TooManyRequests',
          500: 'FunctionFailed',
          503: 'ServiceUnavailable',
          504: 'GatewayTimeout',
          default: 'EndpointAnswer',
        }),
      }),
    ),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Signalbox webhook gateway',
      description:
        "The public URLs of a workspace's webhook and endpoint triggers. No token: webhooks are authenticated by " +
        "their sender's signature, endpoints by their sender's signature or by what their function checks. Errors " +
        'use the one envelope: ' +
        '{"success": false, "error": {"code", "message", "details"}}. The REST API is data-service\'s own document.',
      version,
    },
    servers: [{ url: '/', description: 'this webhook-gateway' }],
    tags: [
      { name: 'webhooks', description: 'Inbound webhook triggers: a signed request from a provider starts a run.' },
      { name: 'endpoints', description: "Endpoint triggers: a synchronous call answered by the function's result." },
    ],
    paths,
    components: {
      schemas: {
        ErrorEnvelope: errorEnvelopeJsonSchema() as SchemaObject,
        EndpointErrorEnvelope: {
          description: "The error envelope of a call that became a run, with the run's id.",
          allOf: [
            { $ref: ERROR_ENVELOPE_REF },
            { type: 'object', properties: { jobId: { type: 'string', format: 'uuid', description: "The run's id." } } },
          ],
        },
        WebhookAccepted: {
          type: 'object',
          required: ['jobId'],
          properties: {
            jobId: { type: 'string', format: 'uuid', description: "The run's id." },
            duplicate: {
              type: 'boolean',
              enum: [true],
              description: "Present on a redelivery: `jobId` is the first delivery's run; nothing new started.",
            },
          },
        },
        WebhookIgnored: {
          type: 'object',
          required: ['ignored', 'reason'],
          properties: { ignored: { type: 'boolean', enum: [true] }, reason: { type: 'string' } },
        },
        WebhookChallenge: {
          type: 'object',
          required: ['challenge'],
          properties: { challenge: { type: 'string', description: "Slack's `challenge`, as it was sent." } },
        },
        EndpointAccepted: {
          type: 'object',
          required: ['jobId', 'status', 'statusUrl'],
          properties: {
            jobId: { type: 'string', format: 'uuid', description: "The run's id." },
            status: { type: 'string', enum: ['running'] },
            statusUrl: {
              type: 'string',
              description:
                "`/workspace/{workspace}/api/v1/function-runs/{jobId}`: relative to the REST API's base URL.",
            },
          },
        },
      },
      responses: RESPONSES,
      headers: {
        ...rateLimitHeaders(
          'X-RateLimit',
          'Requests per minute to this trigger on this gateway replica (WEBHOOK_RATE_LIMIT_PER_MINUTE).',
        ),
        'X-Signalbox-Job-Id': {
          description: "The id of the call's run.",
          schema: { type: 'string', format: 'uuid' },
        },
        Allow: {
          description: 'The methods the endpoint triggers at this path answer, e.g. `GET, POST`.',
          schema: { type: 'string' },
        },
      },
      parameters: {
        workspace: pathParameter('workspace', "The workspace's slug."),
        webhookPath: restOfPath('webhook'),
        endpointPath: restOfPath('endpoint'),
        triggerId: pathParameter('triggerId', "The webhook trigger's id.", { type: 'string', format: 'uuid' }),
        'Idempotency-Key': {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            "The delivery's id when the provider has none of its own (Stripe's event id, `X-GitHub-Delivery`, " +
            '`X-Shopify-Webhook-Id` and `webhook-id` come first): a repeat within 24 h answers 202 with the first ' +
            'job and `"duplicate": true`. Longer than 256 characters, it is ignored.',
          schema: { type: 'string' },
        },
      },
      requestBodies: { AnyBody: requestBody },
    },
  };
}

/** Serves the document as JSON at GET /docs-json: public, like the routes it documents. */
export function registerOpenApiRoute(app: NestFastifyApplication, version: string): void {
  const body = JSON.stringify(inboundOpenApiDocument(version));
  // @nestjs/platform-fastify brings its own copy of fastify (see inbound.routes.ts).
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.get('/docs-json', (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
