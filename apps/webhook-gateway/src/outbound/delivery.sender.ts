import { Inject, Injectable } from '@nestjs/common';
import type { WebhookConfig } from '@signalbox/contracts';
import { isSealedSecret, SecretOpener, signOutboundWebhook } from '@signalbox/crypto';
import { FetchRefused, guardedFetch } from '@signalbox/net-guard';

import type { AttemptRecord } from './delivery.repository';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';

export interface Attempt extends AttemptRecord {
  readonly delivered: boolean;
}

/** What one attempt sends. */
export interface Outgoing {
  readonly deliveryId: string;
  readonly event: string;
  readonly body: string;
  readonly attempt: number;
}

/**
 * One delivery attempt: opens the subscription's secrets (here, in the execution plane), signs the exact body,
 * and POSTs it through the outbound guard (the target's addresses are checked at send time, the connection is
 * pinned to the checked address, redirects are not followed). Never throws: a failure is an attempt's outcome.
 */
@Injectable()
export class DeliverySender {
  /** Opened secrets by subscription version: opening (HPKE) once per change, not once per attempt. */
  private readonly secrets = new Map<string, { version: number; secret: string; previous: string | null }>();

  constructor(
    private readonly opener: SecretOpener,
    @Inject(OUTBOUND_SETTINGS) private readonly settings: OutboundSettings,
  ) {}

  async send(config: WebhookConfig, outgoing: Outgoing): Promise<Attempt> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let keys: { secret: string; previous: string | null };
    try {
      keys = await this.open(config);
    } catch (error) {
      return failed(outgoing.attempt, elapsed(), `the signing secret cannot be opened: ${String(error)}`);
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Signalbox-Webhooks/1.0',
      ...signOutboundWebhook({
        secret: keys.secret,
        previousSecret: keys.previous,
        deliveryId: outgoing.deliveryId,
        event: outgoing.event,
        timestamp: Math.floor(Date.now() / 1000),
        body: outgoing.body,
      }),
    };
    try {
      const response = await guardedFetch(
        config.url,
        { method: 'POST', headers, body: outgoing.body },
        this.settings.fetch,
      );
      return {
        attempt: outgoing.attempt,
        delivered: response.ok,
        statusCode: response.status,
        latencyMs: elapsed(),
        error: response.ok ? null : `the receiver answered ${response.status}`,
        responseBody: response.body,
      };
    } catch (error) {
      const message = error instanceof FetchRefused ? error.message : `delivery failed: ${String(error)}`;
      return failed(outgoing.attempt, elapsed(), message);
    }
  }

  private async open(config: WebhookConfig): Promise<{ secret: string; previous: string | null }> {
    const cached = this.secrets.get(config.id);
    if (cached?.version === config.version) return cached;
    const binding = { workspace: config.workspaceSlug, ownerId: config.id, param: 'secret' };
    const openOne = async (sealed: unknown) =>
      isSealedSecret(sealed) ? String(await this.opener.open(sealed, binding)) : null;
    const secret = await openOne(config.secret);
    if (!secret) throw new Error('the subscription has no sealed secret');
    const live = config.previousSecretUntil !== null && Date.parse(config.previousSecretUntil) > Date.now();
    const previous = live ? await openOne(config.previousSecret) : null;
    const opened = { version: config.version, secret, previous };
    // The previous secret expires by time, not by version: cache only while it is not in play.
    if (!previous) this.secrets.set(config.id, opened);
    return opened;
  }
}

function failed(attempt: number, latencyMs: number, error: string): Attempt {
  return { attempt, delivered: false, statusCode: null, latencyMs, error, responseBody: null };
}
