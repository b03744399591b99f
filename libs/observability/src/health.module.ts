import { DynamicModule, Module, Type } from '@nestjs/common';
import { HealthIndicatorResult, TerminusModule } from '@nestjs/terminus';
import { HEALTH_INDICATORS, HealthController, READINESS_INDICATORS } from './health.controller';
import { RedisHealthIndicator } from './redis.health-indicator';
import { StreamLagHealthIndicator } from './stream-lag.health-indicator';

export interface HealthIndicatorLike {
  check(): Promise<HealthIndicatorResult>;
}

/**
 * /health: Redis always, plus what the app adds (the delivery queue), each from the module that
 * owns it, so this library depends on none of them; /health/ready also the stream's consumer lag
 * and the app's readiness indicators (the delivery backlog).
 */
@Module({})
export class HealthModule {
  static forRoot(
    options: { imports?: DynamicModule['imports']; indicators?: Type<HealthIndicatorLike>[]; readiness?: Type<HealthIndicatorLike>[] } = {},
  ): DynamicModule {
    const indicators = options.indicators ?? [];
    const readiness = options.readiness ?? [];
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        RedisHealthIndicator,
        StreamLagHealthIndicator,
        ...indicators,
        ...readiness,
        { provide: HEALTH_INDICATORS, inject: indicators, useFactory: (...found: HealthIndicatorLike[]) => found },
        { provide: READINESS_INDICATORS, inject: readiness, useFactory: (...found: HealthIndicatorLike[]) => found },
      ],
      exports: [RedisHealthIndicator],
    };
  }
}
