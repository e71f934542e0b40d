import { type Static, Type } from '@sinclair/typebox';

/** A provider's trigger template (StackAI `/providers`): a webhook trigger with the signature check and a filter. */
export const ProviderTriggerSchema = Type.Object({
  id: Type.String(),
  providerId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  /** The event this template fires on, as the provider names it. */
  eventType: Type.String(),
  executionType: Type.Literal('webhook'),
  /** Filled into the trigger; add `path` (optional: one is suggested) and `params.signingSecret`. */
  triggerMetadata: Type.Record(Type.String(), Type.Unknown()),
  /** What the creator still has to give. */
  requires: Type.Array(Type.String()),
});
export type ProviderTrigger = Static<typeof ProviderTriggerSchema>;

export const ProviderSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  /** The signature check its templates use (`params.provider`). */
  signature: Type.String(),
  docsUrl: Type.String(),
  triggerCount: Type.Integer(),
});
export type Provider = Static<typeof ProviderSchema>;

export const ProviderListSchema = Type.Object({ providers: Type.Array(ProviderSchema) });
export type ProviderList = Static<typeof ProviderListSchema>;
export const ProviderTriggerListSchema = Type.Object({ triggers: Type.Array(ProviderTriggerSchema) });
export type ProviderTriggerList = Static<typeof ProviderTriggerListSchema>;
