import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { TavusAdapter } from './tavus.adapter';
import { TavusController } from './tavus.controller';

/** Tavus: `POST /api/tavus/webhook` and its stats view (source `tavus`). */
@Module({})
export class TavusModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(TavusModule, roles, { controllers: [TavusController], providers: [TavusAdapter], exports: [TavusAdapter] });
  }
}
