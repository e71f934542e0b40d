import { Module } from '@nestjs/common';

import { ApiKeyController } from './api-key.controller';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';

/** API keys: the routes, and the verifier the auth guard uses for `x-api-key`. */
@Module({
  controllers: [ApiKeyController],
  providers: [ApiKeyRepository, ApiKeyService],
  exports: [ApiKeyService],
})
export class ApiKeysModule {}
