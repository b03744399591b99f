import { DynamicModule, Module, Type } from '@nestjs/common';
import { HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';
import { HEALTH_INDICATORS, HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health-indicator';

export interface HealthIndicatorLike {
  check(): Promise<HealthIndicatorResult>;
}

/**
 * /health: Redis always, plus what the app adds (the delivery queue), each from the module that
 * owns it, so this library depends on none of them.
 */
@Module({})
export class HealthModule {
  static forRoot(options: { imports?: DynamicModule['imports']; indicators?: Type<HealthIndicatorLike>[] } = {}): DynamicModule {
    const indicators = options.indicators ?? [];
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        RedisHealthIndicator,
        ...indicators,
        { provide: HEALTH_INDICATORS, inject: indicators, useFactory: (...found: HealthIndicatorLike[]) => found },
      ],
      exports: [RedisHealthIndicator],
    };
  }
}
