export { HealthModule } from './health.module';
export { LoggingModule, REDACTED_HEADERS, RequestLogging } from './logging.module';
export { currentRequestId, requestIdOf } from './request-logging';
export type { RequestId } from './request-logging';
export { RedisHealthIndicator } from './redis.health-indicator';
export { HubMetrics } from './hub-metrics';
export { MetricsModule } from './metrics.module';
