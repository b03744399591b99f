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

/**
 * Errors that mean "the store cannot take this right now": connection loss, and every Redis reply a
 * retry can outlive (loading, failover, read-only replica, out of memory, a busy script, a failing
 * disk, cluster resharding, lost auth). Answered 503 at the edge and never dead-lettered by the worker.
 */
const UNAVAILABLE_PATTERNS = [
  /ECONNREFUSED/,
  /ECONNRESET/,
  /ENOTFOUND/,
  /ETIMEDOUT/,
  /EPIPE/,
  /Connection is closed/i,
  /Command timed out/i,
  /max retries per request/i,
  /enableOfflineQueue/i,
  /Stream isn't writeable/i,
  /\bLOADING\b/,
  /\bMASTERDOWN\b/,
  /\bREADONLY\b/,
  /\bOOM\b/,
  /\bMISCONF\b/,
  /\bBUSY\b/,
  /\bNOAUTH\b/,
  /\bWRONGPASS\b/,
  /\bCLUSTERDOWN\b/,
  /\bTRYAGAIN\b/,
  /\bMOVED\b/,
  /\bASK\b/,
  /\bNOREPLICAS\b/,
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
