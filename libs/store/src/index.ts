export * from './domain-event';
export * from './event-id';
export * from './event-type-glob';
export { EventsRepository, EventPage, ListEventsQuery, StreamEntry, fieldsToMap, entryToStreamEntry } from './events.repository';
export { IngressStats, IngressStatsRepository } from './ingress-stats.repository';
export { createRedisClient, isRedisUnavailableError, waitUntilReady } from './redis-client';
export { REDIS_CLIENT } from './redis.constants';
export { RedisKeys } from './redis-keys';
export { StoreModule } from './store.module';
