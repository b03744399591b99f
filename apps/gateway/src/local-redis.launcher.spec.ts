import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@hub/config';
import { LocalRedisError, ensureRedis, findOnPath, localRedisPort } from './local-redis.launcher';

/** A loopback port nothing listens on (closed again before use). */
async function sparePort(): Promise<number> {
  const server = await listening(createServer());
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

function listening(server: Server, port = 0): Promise<Server> {
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

describe('ensureRedis', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'hub-local-redis-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('starts nothing and probes nothing when REDIS_URL is set', async () => {
    const env = { REDIS_URL: 'redis://elsewhere:6380', LOCAL_REDIS_PORT: 'not a port', PATH: '/nonexistent' };
    await expect(ensureRedis(env, { cwd })).resolves.toBeUndefined();
    expect(env.REDIS_URL).toBe('redis://elsewhere:6380');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it('uses whatever answers on 127.0.0.1:LOCAL_REDIS_PORT, and says so in REDIS_URL', async () => {
    const server = await listening(createServer((socket) => socket.destroy()));
    const { port } = server.address() as { port: number };
    try {
      const env: Record<string, string | undefined> = { LOCAL_REDIS_PORT: String(port), PATH: '/nonexistent' };
      await expect(ensureRedis(env, { cwd })).resolves.toBeUndefined();
      expect(env.REDIS_URL).toBe(`redis://127.0.0.1:${port}`);
      expect(existsSync(join(cwd, 'data'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('fails at once naming the three ways to get a Redis when there is no redis-server on PATH', async () => {
    const port = await sparePort();
    const env: Record<string, string | undefined> = { LOCAL_REDIS_PORT: String(port), PATH: cwd };
    const failure = ensureRedis(env, { cwd });
    await expect(failure).rejects.toThrow(LocalRedisError);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain(`nothing answers on 127.0.0.1:${port}`);
    expect(message).toContain('apt install redis-server');
    expect(message).toContain('brew install redis');
    expect(message).toContain('docker compose up -d redis');
    expect(message).toContain('REDIS_URL');
    expect(message).not.toContain('\n');
    expect(env.REDIS_URL).toBeUndefined();
  });

  it('refuses a LOCAL_REDIS_PORT that is not a port, as a configuration error', () => {
    expect(localRedisPort({})).toBe(6379);
    expect(localRedisPort({ LOCAL_REDIS_PORT: '6390' })).toBe(6390);
    for (const bad of ['', 'abc', '0', '65536', '12.5', '-1']) {
      expect(() => localRedisPort({ LOCAL_REDIS_PORT: bad })).toThrow(ConfigError);
    }
    expect(() => localRedisPort({ LOCAL_REDIS_PORT: 'abc' })).toThrow('Invalid configuration: LOCAL_REDIS_PORT must be a port number from 1 to 65535 (got "abc")');
  });
});

describe('findOnPath', () => {
  it('finds executables only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-path-'));
    try {
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      writeFileSync(join(dir, 'plain'), '');
      chmodSync(join(dir, 'tool'), 0o755);
      chmodSync(join(dir, 'plain'), 0o644);
      expect(findOnPath('tool', `/nonexistent:${dir}`)).toBe(join(dir, 'tool'));
      expect(findOnPath('plain', dir)).toBeUndefined();
      expect(findOnPath('tool', undefined)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
