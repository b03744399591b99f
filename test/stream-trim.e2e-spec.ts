import { ADMIN_TOKEN, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { HttpSink } from './utils/http-sink';

describe('the event stream is trimmed only behind what the workers acknowledged', () => {
  it('keeps every entry while no worker has read it, whatever EVENT_STREAM_MAXLEN says; trims once they are acknowledged', async () => {
    const prefix = uniquePrefix('stream-trim');
    const env = { HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, EVENT_STREAM_MAXLEN: '100', ALLOW_PRIVATE_TARGETS: 'true' };
    const sink = await new HttpSink().start();
    const gateway = await startHub('stream-trim-gateway', { ...env, HUB_ROLE: 'gateway' });
    let worker: Awaited<ReturnType<typeof startHub>> | undefined;
    try {
      const sub = await gateway.http().post('/api/v1/subscriptions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ url: sink.url('/all'), events: ['whatsapp.*'] });
      expect(sub.status).toBe(201);
      // A lagging (here: absent) worker: 300 events on a stream capped at 100.
      for (let i = 0; i < 300; i++) await ingestBridgeEvent(gateway, 'group.update', { id: `trim-${i}` });
      const stream = `{${prefix}}:events`;
      expect(await gateway.redis.xlen(stream)).toBe(300);

      worker = await startHub('stream-trim-worker', { ...env, HUB_ROLE: 'worker' });
      expect(await waitFor(async () => new Set(sink.received.map((r) => JSON.parse(r.body).data.id)).size === 300, 30_000, 100)).toBe(true);
      // Acknowledged now: the cap applies (approximately, in whole stream nodes).
      expect(await waitFor(async () => (await gateway.redis.xlen(stream)) <= 200, 20_000, 250)).toBe(true);
    } finally {
      await worker?.app.close();
      worker?.redis.disconnect();
      await gateway.close();
      await sink.stop();
    }
  });
});
