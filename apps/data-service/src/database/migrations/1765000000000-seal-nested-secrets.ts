import { SecretSealer, type VersionedKey } from '@signalbox/crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

import { sealStoredPlaintext } from '../../secrets/seal-stored-plaintext';

/**
 * Earlier releases sealed only top-level secret params: a `{value, encrypt: true}` inside an object or an
 * array, and a signingSecret set on a draft or an endpoint trigger, were stored in plain text (triggers,
 * drafts, version snapshots, and from there the KV bucket). This seals them with the current public key.
 * It needs that key, so the class is made by a factory; the migration runs once, under the migration lock.
 */
export function sealNestedSecretsMigration(publicKey: VersionedKey): new () => MigrationInterface {
  return class SealNestedSecrets1765000000000 implements MigrationInterface {
    name = 'SealNestedSecrets1765000000000';

    async up(runner: QueryRunner): Promise<void> {
      await sealStoredPlaintext(runner, await SecretSealer.create(publicKey));
    }

    async down(): Promise<void> {
      // Nothing to undo: sealed secrets open the same in every release that opens nested ones.
    }
  };
}
