import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';

// WebCrypto key types (CryptoKey, as @hpke/core declares them) come from the DOM lib, enabled for this library only.

/**
 * Sealed secret params (api-contract.md "Secret params").
 *
 * HPKE (RFC 9180) base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM. The API service holds
 * only public keys and can seal but never open; the execution plane holds the private keys. Each
 * ciphertext is bound (as HPKE `aad`) to its workspace, owner (trigger), param name and key version, so it
 * cannot be moved to another trigger or param, or relabelled with another key version.
 */

/** How a sealed param is stored and returned. `value` = base64(enc || ciphertext). */
export interface SealedSecret {
  readonly value: string;
  readonly encrypted: true;
  readonly keyVersion: number;
}

/** What a ciphertext is bound to. */
export interface SecretBinding {
  readonly workspace: string;
  /** The trigger (or other resource) the secret belongs to. */
  readonly ownerId: string;
  /** The param's name, e.g. `apiKey` or `headers.Authorization`. */
  readonly param: string;
}

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

const ENC_LENGTH = 32; // X25519 encapsulated key
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const utf8 = new TextEncoder();

function aad(binding: SecretBinding, keyVersion: number): Uint8Array {
  return utf8.encode(
    JSON.stringify(['signalbox.secret.v1', binding.workspace, binding.ownerId, binding.param, keyVersion]),
  );
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

export function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate['encrypted'] === true &&
    typeof candidate['value'] === 'string' &&
    Number.isInteger(candidate['keyVersion'])
  );
}

/** A versioned key, as configured: `"<version>:<base64>"`. */
export interface VersionedKey {
  readonly version: number;
  readonly key: string;
}

export function parseVersionedKeys(setting: string): VersionedKey[] {
  return setting
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\d{1,6}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
      if (!match) throw new SecretError('a key must look like "<version>:<base64>"');
      return { version: Number(match[1]), key: match[2] };
    });
}

/** Seals with the current public key. Lives in the API service. */
export class SecretSealer {
  private constructor(
    private readonly publicKey: CryptoKey,
    readonly keyVersion: number,
  ) {}

  static async create(key: VersionedKey): Promise<SecretSealer> {
    const bytes = Buffer.from(key.key, 'base64');
    if (bytes.length !== 32) throw new SecretError(`public key version ${key.version} must be 32 bytes (X25519)`);
    return new SecretSealer(await suite.kem.deserializePublicKey(toArrayBuffer(bytes)), key.version);
  }

  async seal(plaintext: unknown, binding: SecretBinding): Promise<SealedSecret> {
    const payload = utf8.encode(JSON.stringify(plaintext));
    const { ct, enc } = await suite.seal(
      { recipientPublicKey: this.publicKey },
      payload,
      aad(binding, this.keyVersion),
    );
    const value = Buffer.concat([Buffer.from(enc), Buffer.from(ct)]).toString('base64');
    return { value, encrypted: true, keyVersion: this.keyVersion };
  }
}

/** Opens with the private key of the secret's version. Lives only in the execution plane. */
export class SecretOpener {
  private constructor(private readonly keys: ReadonlyMap<number, CryptoKey>) {}

  static async create(keys: readonly VersionedKey[]): Promise<SecretOpener> {
    const map = new Map<number, CryptoKey>();
    for (const { version, key } of keys) {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length !== 32) throw new SecretError(`private key version ${version} must be 32 bytes (X25519)`);
      map.set(version, await suite.kem.deserializePrivateKey(toArrayBuffer(bytes)));
    }
    return new SecretOpener(map);
  }

  get versions(): number[] {
    return [...this.keys.keys()];
  }

  async open(sealed: SealedSecret, binding: SecretBinding): Promise<unknown> {
    const key = this.keys.get(sealed.keyVersion);
    if (!key) throw new SecretError(`no private key for key version ${sealed.keyVersion} (secret ${binding.param})`);
    const bytes = Buffer.from(sealed.value, 'base64');
    if (bytes.length <= ENC_LENGTH) throw new SecretError(`secret ${binding.param} is malformed`);
    try {
      const plaintext = await suite.open(
        { recipientKey: key, enc: toArrayBuffer(bytes.subarray(0, ENC_LENGTH)) },
        toArrayBuffer(bytes.subarray(ENC_LENGTH)),
        aad(binding, sealed.keyVersion),
      );
      return JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
    } catch {
      throw new SecretError(
        `secret ${binding.param} cannot be opened: it was altered, or sealed for another workspace, trigger or param`,
      );
    }
  }
}

/** A fresh X25519 key pair, base64 (raw 32-byte keys). */
export async function generateSecretKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await suite.kem.generateKeyPair();
  return {
    publicKey: Buffer.from(await suite.kem.serializePublicKey(pair.publicKey)).toString('base64'),
    privateKey: Buffer.from(await suite.kem.serializePrivateKey(pair.privateKey)).toString('base64'),
  };
}

/**
 * Development-only key pair (version 1), used when no keys are configured outside production, with a
 * loud warning. Anyone can read this file: never use it for real secrets.
 */
export const DEVELOPMENT_SECRET_KEYS = {
  version: 1,
  publicKey: 'dmdYz3vD7WRGaS+T+u1DOHgMyvk0HmmaFkOy0u7Mhiw=',
  privateKey: 'RNgooAI8Q/gH1kzF8USygUY9bO7v+FM+ocpkFl3XDcY=',
} as const;
