import Redis, { RedisOptions } from 'ioredis';

/**
 * A command connection that fails fast when Redis is gone: no offline queue, so while ioredis
 * reconnects a request gets its 503 at once instead of hanging.
 */
export function createRedisClient(url: string, connectionName: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
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

/** Waits until the client is ready, or the timeout passes (boot goes on; /health then reports Redis down). */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}
