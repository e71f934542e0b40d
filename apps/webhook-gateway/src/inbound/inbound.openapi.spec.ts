import { randomUUID } from 'node:crypto';

import type { EndpointAccepted, WebhookAccepted, WebhookIgnored } from '@signalbox/contracts';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { errorResponse } from './endpoint-response';
import { inboundOpenApiDocument } from './inbound.openapi';

/** The hand-written schemas against what the code sends (typed by the contract's interfaces). */
describe("the gateway's OpenAPI document", () => {
  const document = inboundOpenApiDocument('1.2.3');
  const ajv = addFormats(new Ajv2020({ strict: false }));
  const matches = (component: string, value: unknown) => {
    const validate = ajv.compile({ $ref: `#/components/schemas/${component}`, components: document.components });
    const valid = validate(value);
    return valid ? true : validate.errors;
  };

  it('carries the service version and serves from this gateway', () => {
    expect(document.info.version).toBe('1.2.3');
    expect(document.servers).toEqual([{ url: '/', description: 'this webhook-gateway' }]);
  });

  it("describes the webhooks' answers", () => {
    const accepted: WebhookAccepted = { jobId: randomUUID() };
    const duplicate: WebhookAccepted = { jobId: randomUUID(), duplicate: true };
    const ignored: WebhookIgnored = { ignored: true, reason: 'the request does not match the trigger filter' };
    expect(matches('WebhookAccepted', accepted)).toBe(true);
    expect(matches('WebhookAccepted', duplicate)).toBe(true);
    expect(matches('WebhookIgnored', ignored)).toBe(true);
    expect(matches('WebhookAccepted', {})).not.toBe(true);
  });

  it("describes the endpoints' answers, the envelope with the run's id included", () => {
    const jobId = randomUUID();
    const accepted: EndpointAccepted = {
      jobId,
      status: 'running',
      statusUrl: `/workspace/acme/api/v1/function-runs/${jobId}`,
    };
    expect(matches('EndpointAccepted', accepted)).toBe(true);
    const failed = errorResponse('FUNCTION_FAILED', 'the function failed', { jobId });
    expect(matches('EndpointErrorEnvelope', JSON.parse(failed.body))).toBe(true);
    const notAllowed = errorResponse('METHOD_NOT_ALLOWED', '/quotes answers POST', { headers: { allow: 'POST' } });
    expect(matches('ErrorEnvelope', JSON.parse(notAllowed.body))).toBe(true);
    expect(document.paths['/workspace/{workspace}/api/v1/endpoints/{path}']?.post?.responses).toHaveProperty(
      String(notAllowed.status),
    );
  });
});
