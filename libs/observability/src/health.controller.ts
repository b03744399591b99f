import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { HealthCheckFilter } from './health-check.filter';
import { RedisHealthIndicator } from './redis.health-indicator';

/** Injection token: the app's extra indicators (objects with check()). */
export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');

/** Public liveness and readiness: 200 when Redis and the app's other checks answer, 503 otherwise. */
@Controller('health')
@UseFilters(HealthCheckFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    @Inject(HEALTH_INDICATORS) private readonly extra: { check(): Promise<import('@nestjs/terminus').HealthIndicatorResult> }[],
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.redis.check(), ...this.extra.map((indicator) => () => indicator.check())]);
  }
}
