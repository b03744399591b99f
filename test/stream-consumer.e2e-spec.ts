import { EventStreamConsumer, FANOUT_GROUP } from '../apps/worker/src/event-stream.consumer';
import { TestHub, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

const SECRET = 'stream-consumer-secret';

async function ingest(hub: TestHub, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `${tag}-${i}` } });
    const res = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'application/json')
      .set('X-Webhook-Signature', sha256Header(SECRET, body))
      .send(body);
    expect(res.status).toBe(202);
    ids.push(...res.body.accepted);
  }
  return ids;
}

const pendingCount = async (hub: TestHub) => {
  const [count] = (await hub.redis.xpending(`{${hub.config.prefix}}:events`, FANOUT_GROUP)) as [number];
  return Number(count);
};

describe('event stream consumer (worker)', () => {
  it('claims, processes and acknowledges every stored event', async () => {
    const hub = await startHub('stream', { WHATSAPP_WEBHOOK_SECRET: SECRET });
    try {
      await ingest(hub, 5, 'a');
      const consumer = hub.app.get(EventStreamConsumer);
      expect(await waitFor(async () => consumer.stats.processed === 5)).toBe(true);
      expect(await pendingCount(hub)).toBe(0);
    } finally {
      await hub.close();
    }
  });

  it('processes events stored before any worker ran, and takes over entries a dead consumer left pending', async () => {
    const prefix = uniquePrefix('stream-reclaim');
    const stream = `{${prefix}}:events`;
    const gateway = await startHub('stream-reclaim', { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: SECRET });
    let worker: TestHub | undefined;
    try {
      await ingest(gateway, 6, 'b');
      // A consumer that read four entries and then died without acknowledging them.
      await gateway.redis.xgroup('CREATE', stream, FANOUT_GROUP, '0', 'MKSTREAM');
      await gateway.redis.xreadgroup('GROUP', FANOUT_GROUP, 'dead-consumer', 'COUNT', 4, 'STREAMS', stream, '>');
      expect(await pendingCount(gateway)).toBe(4);

      worker = await startHub('stream-reclaim', { HUB_PREFIX: prefix, HUB_ROLE: 'worker', STREAM_CLAIM_IDLE_MS: '300' });
      const consumer = worker.app.get(EventStreamConsumer);
      expect(await waitFor(async () => consumer.stats.processed === 6, 10_000)).toBe(true);
      expect(consumer.stats.reclaimed).toBe(4);
      expect(await pendingCount(gateway)).toBe(0);
    } finally {
      await worker?.close();
      await gateway.close();
    }
  });
});
