import Redis, { RedisOptions } from 'ioredis';

/**
 * A command connection that fails fast when Redis is gone: a request then gets a 503 within about
 * a second instead of hanging while ioredis reconnects.
 */
export function createRedisClient(url: string, connectionName: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...overrides,
  });
}

const UNAVAILABLE_PATTERNS = [
  /ECONNREFUSED/,
  /ECONNRESET/,
  /ENOTFOUND/,
  /ETIMEDOUT/,
  /Connection is closed/i,
  /Command timed out/i,
  /max retries per request/i,
  /enableOfflineQueue/i,
  /LOADING/,
  /MASTERDOWN/,
  /READONLY/,
  /OOM command not allowed/,
];

/** True for errors that mean "the store is unreachable or refusing writes", answered with 503. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return UNAVAILABLE_PATTERNS.some((p) => p.test(error.message));
}
