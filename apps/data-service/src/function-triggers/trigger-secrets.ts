import { requestSealing, sealSecretTree, type SecretSealer } from '@signalbox/crypto';

type Metadata = Record<string, unknown>;

/** The groups of `triggerMetadata` that may hold secrets: function params and a polling trigger's headers. */
export const SECRET_GROUPS = ['params', 'headers'] as const;

/** Params that are secrets however they are sent (a plain string is sealed too), whatever the trigger type. */
export const ALWAYS_SEALED_PARAMS = ['signingSecret'] as const;

/**
 * Seals every `{"value": ..., "encrypt": true}` in `params` and `headers` for this owner, at any depth
 * (inside objects and arrays), so the plaintext never reaches the database, a version row, a draft or the
 * KV bucket. `{"encrypt": false}` stores the plain value; an already sealed value is kept as it is (it
 * opens only for the owner it was sealed for). A `signingSecret` param is always sealed.
 */
export async function sealSecrets(
  metadata: Metadata,
  binding: { workspace: string; ownerId: string },
  sealer: SecretSealer,
): Promise<Metadata> {
  const sealed: Metadata = { ...metadata };
  for (const group of SECRET_GROUPS) {
    if (!(group in metadata)) continue;
    const values = group === 'params' ? requestSealing(metadata[group], ALWAYS_SEALED_PARAMS) : metadata[group];
    sealed[group] = await sealSecretTree(group, values, binding, sealer);
  }
  return sealed;
}
