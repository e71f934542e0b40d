import { type DynamicModule, Module } from '@nestjs/common';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';

/**
 * The gateway opens sealed secrets (inbound signing secrets, outbound subscription secrets) with the private
 * keys, as compute-runtime does; data-service only seals them.
 */
@Module({})
export class SecretsModule {
  static register(privateKeys: readonly VersionedKey[]): DynamicModule {
    return {
      module: SecretsModule,
      global: true,
      providers: [{ provide: SecretOpener, useFactory: () => SecretOpener.create(privateKeys) }],
      exports: [SecretOpener],
    };
  }
}
