import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { MakeComAdapter } from './makecom.adapter';
import { MakeComController } from './makecom.controller';

/** Make.com inbound webhooks: `POST /api/webhook/make.com/:scenario`, source `makecom`. */
@Module({})
export class MakeComModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(MakeComModule, roles, { controllers: [MakeComController], providers: [MakeComAdapter], exports: [MakeComAdapter] });
  }
}
