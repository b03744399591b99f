import { Controller, Get, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { HealthCheckFilter } from './health-check.filter';
import { RedisHealthIndicator } from './redis.health-indicator';

/** Public liveness and readiness: 200 when Redis answers, 503 otherwise. */
@Controller('health')
@UseFilters(HealthCheckFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.redis.check()]);
  }
}
