import { type DynamicModule, Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';

import { NATS_RPC } from './rpc.constants';

/** One Nest ClientProxy over NATS for request-reply to the other services. */
@Module({})
export class RpcModule {
  static register(options: { natsUrl: string; clientName: string }): DynamicModule {
    const clients = ClientsModule.register([
      {
        name: NATS_RPC,
        transport: Transport.NATS,
        options: { servers: options.natsUrl.split(','), name: options.clientName, maxReconnectAttempts: -1 },
      },
    ]);
    return { module: RpcModule, global: true, imports: [clients], exports: [clients] };
  }
}
