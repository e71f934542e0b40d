import type { ExecutionType } from '@signalbox/contracts';
import { isSealedSecret, type SecretSealer } from '@signalbox/crypto';

type Metadata = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Seals every `{"value": ..., "encrypt": true}` in `params` (and polling `headers`) for this owner, so the
 * plaintext never reaches the database. `{"encrypt": false}` stores the plain value; an already sealed
 * value is kept as it is (it opens only for the owner it was sealed for). A webhook's signingSecret is
 * always sealed, even when sent as a plain string.
 */
export async function sealSecrets(
  metadata: Metadata,
  executionType: ExecutionType | null,
  binding: { workspace: string; ownerId: string },
  sealer: SecretSealer,
): Promise<Metadata> {
  const sealGroup = async (group: 'params' | 'headers', forceSeal: readonly string[]) => {
    const values = metadata[group];
    if (!isObject(values)) return values;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      const param = `${group}.${name}`;
      if (isSealedSecret(value)) out[name] = value;
      else if (isObject(value) && value['encrypt'] === true)
        out[name] = await sealer.seal(value['value'], { ...binding, param });
      else if (isObject(value) && value['encrypt'] === false && 'value' in value) out[name] = value['value'];
      else if (forceSeal.includes(name) && value !== undefined)
        out[name] = await sealer.seal(value, { ...binding, param });
      else out[name] = value;
    }
    return out;
  };
  const sealed: Metadata = { ...metadata };
  if ('params' in metadata)
    sealed['params'] = await sealGroup('params', executionType === 'webhook' ? ['signingSecret'] : []);
  if ('headers' in metadata) sealed['headers'] = await sealGroup('headers', []);
  return sealed;
}
