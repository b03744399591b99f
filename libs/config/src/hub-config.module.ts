import { DynamicModule, Global, Module } from '@nestjs/common';
import { HubConfig } from './hub-config';

/** Makes the one validated HubConfig injectable everywhere (by its class). */
@Global()
@Module({})
export class HubConfigModule {
  static forRoot(config: HubConfig): DynamicModule {
    return { module: HubConfigModule, providers: [{ provide: HubConfig, useValue: config }], exports: [HubConfig] };
  }
}
