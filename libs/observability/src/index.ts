export { HealthModule } from './health.module';
export { LoggingModule, REDACTED_HEADERS } from './logging.module';
export { RedisHealthIndicator } from './redis.health-indicator';
export { HubMetrics } from './hub-metrics';
export { MetricsModule } from './metrics.module';
