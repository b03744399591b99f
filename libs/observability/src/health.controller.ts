import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { HealthCheckFilter } from './health-check.filter';
import { RedisHealthIndicator } from './redis.health-indicator';
import { StreamLagHealthIndicator } from './stream-lag.health-indicator';

/** Injection tokens: the app's extra indicators (objects with check()), for liveness and for readiness. */
export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');
export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');

type Indicator = { check(): Promise<import('@nestjs/terminus').HealthIndicatorResult> };

/**
 * Public health. `/health` is liveness: 200 when Redis and the app's other checks answer, 503
 * otherwise. `/health/ready` adds the bounds a load balancer or an operator acts on: the event
 * stream's consumer lag and the delivery backlog; over them it answers 503 with the reason.
 */
@Controller('health')
@UseFilters(HealthCheckFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    @Inject(HEALTH_INDICATORS) private readonly extra: Indicator[],
    @Inject(READINESS_INDICATORS) private readonly readiness: Indicator[],
    private readonly streamLag: StreamLagHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.redis.check(), ...this.extra.map((indicator) => () => indicator.check())]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.redis.check(),
      ...this.extra.map((indicator) => () => indicator.check()),
      () => this.streamLag.check(),
      ...this.readiness.map((indicator) => () => indicator.check()),
    ]);
  }
}
