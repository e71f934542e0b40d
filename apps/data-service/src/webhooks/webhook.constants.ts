import type { FetchPolicy } from '@signalbox/net-guard';

/** Where a subscription's URL may point (checked when it is saved; the gateway checks again at send time). */
export const WEBHOOK_URL_POLICY = Symbol('WEBHOOK_URL_POLICY');
export type WebhookUrlPolicy = Pick<FetchPolicy, 'allowPrivateNetworks' | 'allowedHosts'>;
