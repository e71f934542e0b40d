import { Injectable, Logger } from '@nestjs/common';
import { SignalboxError } from '@signalbox/contracts';
import { isSealedSecret, SecretOpener, verifyWebhookSignature, type WebhookSignatureProvider } from '@signalbox/crypto';
import { MetricsService } from '@signalbox/observability';
import type { Counter } from 'prom-client';

import type { InboundRequest } from './inbound-request';
import type { EndpointTrigger, WebhookTrigger } from './inbound-trigger.index';

const PROVIDERS: readonly WebhookSignatureProvider[] = [
  'stripe',
  'github',
  'slack',
  'shopify',
  'standard-webhooks',
  'hmac-sha256',
];

/** The trigger's signature provider (`params.provider`), when it names one the gateway knows. */
export function providerOf(params: { readonly provider?: unknown }): WebhookSignatureProvider | undefined {
  return PROVIDERS.includes(params.provider as WebhookSignatureProvider)
    ? (params.provider as WebhookSignatureProvider)
    : undefined;
}

/** The `hmac-sha256` provider's options: free-form params (docs/webhooks-inbound.md), read defensively. */
function hmacOptionsOf(params: object): { header?: string; encoding: 'hex' | 'base64'; prefix?: string } {
  const { signatureHeader, signatureEncoding, signaturePrefix } = params as Record<string, unknown>;
  return {
    header: typeof signatureHeader === 'string' ? signatureHeader : undefined,
    encoding: signatureEncoding === 'base64' ? 'base64' : 'hex',
    prefix: typeof signaturePrefix === 'string' ? signaturePrefix : undefined,
  };
}

/**
 * The provider signature check of webhook and endpoint triggers with `params.validateSignature`: the signing
 * secret is opened here, in the execution plane, and the signature checked over the exact bytes received. A
 * refusal is counted by provider and reason, logged with the trigger id (never the secret), and answered 401
 * without a detail.
 */
@Injectable()
export class SignatureCheck {
  private readonly logger = new Logger(SignatureCheck.name);
  private readonly failures: Counter<'provider' | 'reason'>;

  constructor(
    private readonly opener: SecretOpener,
    metrics: MetricsService,
  ) {
    this.failures = metrics.counter(
      'signalbox_webhook_signature_failures_total',
      'Inbound webhooks and endpoint calls refused because their signature did not verify.',
      ['provider', 'reason'],
    );
  }

  /** Resolves when the request is signed as the trigger says; throws UNAUTHORIZED otherwise. */
  async verify(
    trigger: WebhookTrigger | EndpointTrigger,
    headers: Record<string, string>,
    request: InboundRequest,
  ): Promise<void> {
    const params = trigger.triggerMetadata.params ?? {};
    const provider = providerOf(params);
    const refuse = (reason: string) => {
      this.failures.inc({ provider: provider ?? 'none', reason });
      this.logger.warn(`${trigger.executionType} trigger ${trigger.id}: signature refused (${reason})`);
      return new SignalboxError('UNAUTHORIZED', `${trigger.executionType} signature verification failed`);
    };
    if (!provider) throw refuse('no provider configured');
    const sealed = params.signingSecret;
    let secret: unknown = sealed;
    if (isSealedSecret(sealed)) {
      try {
        secret = await this.opener.open(sealed, {
          workspace: trigger.workspaceSlug,
          ownerId: trigger.id,
          param: 'params.signingSecret',
        });
      } catch (error) {
        this.logger.error(`trigger ${trigger.id}: signing secret cannot be opened: ${String(error)}`);
        throw refuse('secret cannot be opened');
      }
    }
    if (typeof secret !== 'string' || secret.length === 0) throw refuse('no signing secret configured');
    const result = verifyWebhookSignature(provider, {
      rawBody: request.rawBody,
      headers,
      secret,
      now: request.receivedAt.getTime(),
      hmac: hmacOptionsOf(params),
    });
    if (!result.ok) throw refuse(result.reason);
  }
}
