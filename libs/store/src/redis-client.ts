import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisConnectionConfig } from '@hub/config';

/**
 * A command connection that fails fast when Redis is gone: no offline queue, so while ioredis
 * reconnects a request gets its 503 at once instead of hanging. With `clusterNodes` it is an ioredis
 * Cluster with the same options: every caller keeps using it as a Redis (the commands the hub sends
 * are the same; keys that travel together share a hash tag, so each script and MULTI stays on one
 * slot). `overrides` apply to each node's connection.
 */
export function createRedisClient(connection: RedisConnectionConfig | string, connectionName: string, overrides: RedisOptions = {}): Redis {
  const config: RedisConnectionConfig = typeof connection === 'string' ? { url: connection, tls: connection.startsWith('rediss:') } : connection;
  const options: RedisOptions = {
    connectionName,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: 5_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: {} } : {}),
    ...overrides,
  };
  if (!config.clusterNodes?.length) return new Redis(config.url, options);
  // No auto-pipelining on a cluster: ioredis batches by node, and a batch holding multi-key commands of
  // different slots fails ("All keys in the pipeline should belong to the same slots allocation group",
  // redis/ioredis#1602; seen in test:cluster).
  const { enableOfflineQueue, retryStrategy, enableAutoPipelining: _single, ...nodeOptions } = options;
  const cluster = new Cluster(config.clusterNodes, clusterOptions(nodeOptions, enableOfflineQueue ?? false, retryStrategy));
  // The hub types its connection as Redis; a Cluster answers the same commands (see above).
  return cluster as unknown as Redis;
}

function clusterOptions(redisOptions: RedisOptions, enableOfflineQueue: boolean, retryStrategy: RedisOptions['retryStrategy']): ClusterOptions {
  return {
    redisOptions,
    enableOfflineQueue,
    scaleReads: 'master',
    clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) : Math.min(times * 200, 2_000)),
    // Resharding and failover answer MOVED/ASK/TRYAGAIN/CLUSTERDOWN for a moment: follow and retry.
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
  };
}

/** True when the connection is a Redis Cluster client. */
export function isClusterClient(client: Redis): boolean {
  return (client as unknown) instanceof Cluster;
}

/** A second connection like `client` (blocking reads, pub/sub), with `overrides`, for one Redis or a cluster alike. */
export function duplicateClient(client: Redis, overrides: RedisOptions): Redis {
  // Blocking reads and subscriptions go one command at a time: no auto-pipelining there.
  if (!isClusterClient(client)) return client.duplicate({ enableAutoPipelining: false, ...overrides });
  const cluster = client as unknown as Cluster;
  const { enableOfflineQueue, ...nodeOverrides } = overrides;
  const duplicate = cluster.duplicate([], {
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    redisOptions: { ...cluster.options.redisOptions, ...nodeOverrides },
  });
  return duplicate as unknown as Redis;
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
