import {
  isSealedSecret,
  type SealedSecret,
  type SecretBinding,
  type SecretOpener,
  type SecretSealer,
} from './sealed-secrets';

/**
 * Secret params at any depth. A trigger's `params` (or a polling trigger's `headers`) may hold
 * `{"value": ..., "encrypt": true}` anywhere: in a nested object, in an array. Each one is sealed where it
 * stands, bound to its path, and opened at the same place in the execution plane. One walker does it for
 * every caller (sealing on write, opening in the runtime, the poller and the gateway, re-sealing on key
 * rotation), so the path naming cannot drift between them.
 */

/** `{value, encrypt: true}`: a secret as the API takes it, before sealing. */
export interface SecretRequest {
  readonly value: unknown;
  readonly encrypt: true;
}

export type SecretPath = readonly (string | number)[];

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Exactly `{value, encrypt}`: any other object with an `encrypt` key is the user's own data. */
const isRequestShaped = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) && 'value' in value && 'encrypt' in value && Object.keys(value).length === 2;

export function isSecretRequest(value: unknown): value is SecretRequest {
  return isRequestShaped(value) && value['encrypt'] === true;
}

/** `{value, encrypt: false}`: stored as its plain value. */
const isPlainRequest = (value: unknown): value is { value: unknown; encrypt: false } =>
  isRequestShaped(value) && value['encrypt'] === false;

/**
 * The name a sealed value is bound to. A top-level param keeps the name it always had (`params.apiKey`),
 * so secrets sealed before nesting was supported still open; deeper ones add JSON-quoted segments
 * (`params.db["password"]`, `params.keys[0]`).
 */
export function secretParamName(group: string, path: SecretPath): string {
  const [first, ...rest] = path;
  return `${group}.${String(first)}${rest.map((segment) => `[${JSON.stringify(segment)}]`).join('')}`;
}

/**
 * Rebuilds `value`, handing every sealed secret and every `{value, encrypt}` request (at any depth) to
 * `visit` with its path; what `visit` returns takes its place. Arrays and objects are copied, the rest kept.
 */
async function mapSecrets(
  value: unknown,
  visit: (
    node: SealedSecret | SecretRequest | { value: unknown; encrypt: false },
    path: SecretPath,
  ) => Promise<unknown>,
  path: SecretPath = [],
): Promise<unknown> {
  if (path.length > 0 && (isSealedSecret(value) || isSecretRequest(value) || isPlainRequest(value)))
    return visit(value, path);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries()) out.push(await mapSecrets(item, visit, [...path, index]));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = await mapSecrets(item, visit, [...path, key]);
    return out;
  }
  return value;
}

type Owner = Omit<SecretBinding, 'param'>;

/**
 * Seals every `{value, encrypt: true}` in one group (`params` or `headers`) at any depth, and unwraps
 * `{value, encrypt: false}`. Already sealed values stay as they are. `alwaysSeal` names top-level entries
 * sealed even when sent as plain values (a webhook's `signingSecret`).
 */
/**
 * `values` with the top-level entries named in `names` turned into `{value, encrypt: true}` requests when
 * they arrived as plain values (a webhook's `signingSecret` is a secret however it is sent).
 */
export function requestSealing(values: unknown, names: readonly string[]): unknown {
  if (!isPlainObject(values) || names.length === 0) return values;
  const out: Record<string, unknown> = { ...values };
  for (const name of names) {
    const value = values[name];
    if (value === undefined || value === null || isSealedSecret(value) || isSecretRequest(value)) continue;
    out[name] = { value: isPlainRequest(value) ? value.value : value, encrypt: true };
  }
  return out;
}

/**
 * Seals every `{value, encrypt: true}` in one group (`params` or `headers`) at any depth, and unwraps
 * `{value, encrypt: false}`. Already sealed values stay as they are.
 */
export function sealSecretTree(group: string, values: unknown, owner: Owner, sealer: SecretSealer): Promise<unknown> {
  return mapSecrets(values, async (node, path) => {
    if (isSealedSecret(node)) return node;
    if (node.encrypt === false) return node.value;
    return sealer.seal(node.value, { ...owner, param: secretParamName(group, path) });
  });
}

/** Opens every sealed secret in one group at any depth (the execution plane only). */
export function openSecretTree(group: string, values: unknown, owner: Owner, opener: SecretOpener): Promise<unknown> {
  return mapSecrets(values, async (node, path) =>
    isSealedSecret(node) ? opener.open(node, { ...owner, param: secretParamName(group, path) }) : node,
  );
}

/**
 * Key rotation: every sealed secret not on the sealer's key version is opened and sealed again; every
 * request still in plain text (stored before nesting was sealed) is sealed. Counts what it changed.
 */
export async function resealSecretTree(
  group: string,
  values: unknown,
  owner: Owner,
  keys: { sealer: SecretSealer; opener?: SecretOpener },
): Promise<{ value: unknown; count: number }> {
  let count = 0;
  const value = await mapSecrets(values, async (node, path) => {
    const binding = { ...owner, param: secretParamName(group, path) };
    if (isSealedSecret(node)) {
      if (node.keyVersion === keys.sealer.keyVersion || !keys.opener) return node;
      count++;
      return keys.sealer.seal(await keys.opener.open(node, binding), binding);
    }
    if (node.encrypt === false) return node;
    count++;
    return keys.sealer.seal(node.value, binding);
  });
  return { value, count };
}
