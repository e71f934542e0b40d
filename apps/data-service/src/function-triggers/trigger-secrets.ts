import { requestSealing, sealSecretTree, type SecretSealer } from '@signalbox/crypto';

type Metadata = Record<string, unknown>;

/** The groups of `triggerMetadata` that may hold secrets: function params and a polling trigger's headers. */
const SECRET_GROUPS = ['params', 'headers'] as const;

/** Params that are secrets however they are sent (a plain string is sealed too), whatever the trigger type. */
const ALWAYS_SEALED_PARAMS = ['signingSecret'] as const;

/**
 * Seals every `{"value": ..., "encrypt": true}` in `params` and `headers` for this owner, at any depth
 * (inside objects and arrays), so the plaintext never reaches the database, a version row, a draft or the
 * KV bucket. `{"encrypt": false}` stores the plain value; an already sealed value is kept as it is (it
 * opens only for the owner it was sealed for). A `signingSecret` param is always sealed.
 */
export function sealSecrets(
  metadata: Metadata,
  binding: { workspace: string; ownerId: string },
  sealer: SecretSealer,
): Promise<Metadata> {
  return mapSecretGroups(metadata, (group, values) => sealSecretTree(group, values, binding, sealer));
}

/**
 * `metadata` with each group that may hold secrets (`params`, `headers`) replaced by what `change` makes of it;
 * `params` is handed over with its always-sealed entries as `{value, encrypt: true}` requests.
 */
export async function mapSecretGroups(
  metadata: Metadata,
  change: (group: (typeof SECRET_GROUPS)[number], values: unknown) => Promise<unknown>,
): Promise<Metadata> {
  const next: Metadata = { ...metadata };
  for (const group of SECRET_GROUPS) {
    if (!(group in metadata)) continue;
    const values = group === 'params' ? requestSealing(metadata[group], ALWAYS_SEALED_PARAMS) : metadata[group];
    next[group] = await change(group, values);
  }
  return next;
}
