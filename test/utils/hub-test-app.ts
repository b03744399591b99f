import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { HubConfig, loadHubConfig } from '@hub/config';
import { HubApp, createHubApp } from '../../apps/gateway/src/hub-app.factory';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestHub {
  app: HubApp;
  config: HubConfig;
  http: () => ReturnType<typeof request>;
  /** A plain Redis connection for assertions on what the hub stored. */
  redis: Redis;
  /** Every response with status 500 the hub sent: a client must never cause one. */
  serverErrors: string[];
  close: () => Promise<void>;
}

/** A unique HUB_PREFIX per suite, so suites running in parallel never see each other's keys. */
export function uniquePrefix(suite: string): string {
  return `test-${suite}-${randomBytes(4).toString('hex')}`;
}

/**
 * Starts the real hub (all modules, real Redis) in-process on an ephemeral port. Overrides are
 * environment variables, validated exactly as at boot.
 */
export async function startHub(suite: string, overrides: Record<string, string> = {}): Promise<TestHub> {
  const config = loadHubConfig({
    REDIS_URL,
    HUB_PREFIX: uniquePrefix(suite),
    HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    STREAM_CONSUMER_NAME: `consumer-${randomBytes(3).toString('hex')}`,
    // The e2e suites run once per adapter (jest.config.js): same routes, same behaviour.
    ...(process.env.HTTP_ADAPTER ? { HTTP_ADAPTER: process.env.HTTP_ADAPTER } : {}),
    ...overrides,
  });
  const app = await createHubApp(config);
  const serverErrors: string[] = [];
  app.use((req: { method: string; url: string }, res: { statusCode: number; on: (e: string, f: () => void) => void }, next: () => void) => {
    res.on('finish', () => {
      if (res.statusCode === 500) serverErrors.push(`${req.method} ${req.url}`);
    });
    next();
  });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return {
    app,
    config,
    http: () => request(server),
    redis,
    serverErrors,
    close: async () => {
      await app.close();
      await deleteKeys(redis, `{${config.prefix}}:*`).catch(() => undefined);
      // Partitioned keys (EVENT_PARTITIONS > 1) carry the tag {<prefix>:p<n>}.
      if (config.eventPartitions > 1) await deleteKeys(redis, `{${config.prefix}:p*}:*`).catch(() => undefined);
      redis.disconnect();
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function fixture(provider: string, name: string): Buffer {
  return readFileSync(join(__dirname, '..', 'fixtures', provider, name));
}

/** `promise`, or a rejection with `message` after `ms`; the timer is cleared either way, so it never holds jest open. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a truthy value or the timeout passes (then returns the last value). */
export async function waitFor<T>(check: () => Promise<T>, timeoutMs = 5_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < until) {
    await sleep(everyMs);
    value = await check();
  }
  return value;
}

/** A loopback port nothing listens on right now (for processes a test starts itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
