import { type DynamicModule, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';

import { RunController } from '../runs/run.controller';
import { RunRepository } from '../runs/run.repository';
import { RunService } from '../runs/run.service';
import { SandboxPool } from '../sandbox/sandbox.pool';
import { EXECUTION_SETTINGS, type ExecutionSettings } from './execution.constants';
import { ExecutionConsumer } from './execution.consumer';
import { ExecutionService } from './execution.service';
import { FunctionConfigStore } from './function-config.store';

/** Closes the sandbox workers last, after the consumer has let its runs finish. */
@Injectable()
class SandboxShutdown implements OnModuleDestroy {
  constructor(private readonly pool: SandboxPool) {}
  async onModuleDestroy(): Promise<void> {
    await this.pool.close();
  }
}

/** Runs: the record, the queue (EXECUTIONS), and the sandbox that executes them. */
@Module({})
export class ExecutionModule {
  static register(settings: ExecutionSettings, privateKeys: VersionedKey[]): DynamicModule {
    return {
      module: ExecutionModule,
      controllers: [RunController],
      providers: [
        { provide: EXECUTION_SETTINGS, useValue: settings },
        {
          provide: SandboxPool,
          useFactory: () => new SandboxPool({ workers: settings.workers, graceMs: settings.graceMs }),
        },
        { provide: SecretOpener, useFactory: () => SecretOpener.create(privateKeys) },
        RunRepository,
        RunService,
        FunctionConfigStore,
        ExecutionService,
        ExecutionConsumer,
        SandboxShutdown,
      ],
    };
  }
}
