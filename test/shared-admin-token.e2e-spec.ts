import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { REDIS_URL, deleteKeys, freePort, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { HubProcess } from './utils/hub-process';

describe('HUB_ADMIN_TOKEN unset: every process of a prefix shares one generated token', () => {
  it('lets a token one gateway generated call the other, and refuses any other', async () => {
    const prefix = uniquePrefix('admin-token');
    const first = await startHub('admin-token-a', { HUB_PREFIX: prefix, HUB_ADMIN_TOKEN: '', HUB_ROLE: 'gateway' });
    const second = await startHub('admin-token-b', { HUB_PREFIX: prefix, HUB_ADMIN_TOKEN: '', HUB_ROLE: 'gateway' });
    try {
      expect(first.config.adminTokenGenerated).toBe(true);
      expect(second.config.adminToken).toBe(first.config.adminToken);
      for (const hub of [first, second]) {
        expect((await hub.http().get('/api/v1/events').set('Authorization', `Bearer ${first.config.adminToken}`)).status).toBe(200);
        expect((await hub.http().get('/api/v1/events').set('Authorization', 'Bearer not-the-shared-token-000')).status).toBe(401);
      }
      // A hub with its own HUB_ADMIN_TOKEN keeps it and never stores it.
      const own = await startHub('admin-token-c', { HUB_PREFIX: prefix, HUB_ADMIN_TOKEN: 'an-operator-chosen-token-123', HUB_ROLE: 'gateway' });
      expect(own.config.adminToken).toBe('an-operator-chosen-token-123');
      expect(await own.redis.get(`{${prefix}}:admin-token`)).toBe(first.config.adminToken);
      await own.app.close();
      own.redis.disconnect();
    } finally {
      await second.app.close();
      second.redis.disconnect();
      await first.close();
    }
  });
});

describe('the generated admin token a started process logs', () => {
  it('is the one the prefix shares, also on a later start (which adopts it), and it opens the console', async () => {
    const prefix = uniquePrefix('admin-token-log');
    const logs = mkdtempSync(join(tmpdir(), 'hub-token-log-'));
    const env = (port: number) => ({ HUB_PREFIX: prefix, HUB_ADMIN_TOKEN: '', REDIS_URL, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', LOG_FORMAT: 'json', HUB_ROLE: 'gateway' });
    const tokenIn = (file: string) => /shares this generated one \(kept in Redis\): (\S+)"/.exec(readFileSync(file, 'utf8'))?.[1];
    const redis = new Redis(REDIS_URL);
    try {
      const first = await new HubProcess(env(await freePort()), join(logs, 'first.log')).start();
      const firstToken = await waitFor(async () => tokenIn(join(logs, 'first.log')), 15_000);
      await first.stop();
      const port = await freePort();
      const second = await new HubProcess(env(port), join(logs, 'second.log')).start();
      try {
        const secondToken = await waitFor(async () => tokenIn(join(logs, 'second.log')), 15_000);
        expect(secondToken).toBe(firstToken);
        const page = await fetch(`http://127.0.0.1:${port}/admin`, { headers: { authorization: `Basic ${Buffer.from(`ops:${secondToken}`).toString('base64')}` } });
        expect(page.status).toBe(200);
        expect(readFileSync(join(logs, 'second.log'), 'utf8')).toContain(`/admin (any user name, the admin token as password)`);
      } finally {
        await second.stop();
      }
    } finally {
      await deleteKeys(redis, `{${prefix}}:*`);
      redis.disconnect();
      rmSync(logs, { recursive: true, force: true });
    }
  });
});
