import type { RecordEventParams, WebhookRunParams } from '@signalbox/contracts';
import type {
  RecordEventParams as AuthorRecordEventParams,
  WebhookRunParams as AuthorWebhookRunParams,
} from '@signalbox/sdk/function';

/**
 * The SDK is published on its own, so its types for function authors are written out, not imported from the
 * contracts: these assignments fail the type-check when what the platform hands a function and what the SDK
 * declares drift apart.
 */
export const webhookParams = (given: WebhookRunParams): AuthorWebhookRunParams => given;
export const webhookParamsBack = (given: AuthorWebhookRunParams): WebhookRunParams => given;
export const recordEventParams = (given: RecordEventParams): AuthorRecordEventParams => given;
