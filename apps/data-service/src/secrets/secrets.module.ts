import { type DynamicModule, Module } from '@nestjs/common';
import { DEVELOPMENT_SECRET_KEYS, SecretSealer, type VersionedKey } from '@signalbox/crypto';

/**
 * data-service holds only the public key: it seals secret params and can never open them
 * (docs/secrets.md). The private keys live in the execution plane.
 */
@Module({})
export class SecretsModule {
  static register(publicKey: VersionedKey): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [{ provide: SecretSealer, useFactory: () => SecretSealer.create(publicKey) }],
      exports: [SecretSealer],
    };
  }
}

export const DEVELOPMENT_PUBLIC_KEY: VersionedKey = {
  version: DEVELOPMENT_SECRET_KEYS.version,
  key: DEVELOPMENT_SECRET_KEYS.publicKey,
};
