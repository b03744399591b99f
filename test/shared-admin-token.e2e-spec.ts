import { startHub, uniquePrefix } from './utils/hub-test-app';

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
    } finally {
      await second.app.close();
      await first.close();
    }
  });
});
