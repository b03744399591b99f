import { EventStreamConsumer, FANOUT_GROUP } from '../apps/worker/src/event-stream.consumer';
import { ADMIN_TOKEN, TestHub, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';
import { sha256Header } from './utils/signatures';

const SECRET = 'stream-consumer-secret';

async function ingest(hub: TestHub, n: number, tag: string, padding = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `${tag}-${i}`, ...(padding ? { text: 'p'.repeat(padding) } : {}) } });
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

  it('takes over what a consumer without a heartbeat left pending long before STREAM_CLAIM_IDLE_MS, and leaves a live one alone', async () => {
    const prefix = uniquePrefix('stream-heartbeat');
    const stream = `{${prefix}}:events`;
    const gateway = await startHub('stream-heartbeat', { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: SECRET });
    let worker: TestHub | undefined;
    const alive = `{${prefix}}:consumer:busy-consumer`;
    const keepAlive = setInterval(() => void gateway.redis.set(alive, '1', 'PX', 10_000), 1_000);
    try {
      await gateway.redis.set(alive, '1', 'PX', 10_000);
      await ingest(gateway, 5, 'h');
      await gateway.redis.xgroup('CREATE', stream, FANOUT_GROUP, '0', 'MKSTREAM');
      // One consumer died (SIGKILL: no heartbeat) holding three entries; another is alive and slow, holding two.
      await gateway.redis.xreadgroup('GROUP', FANOUT_GROUP, 'killed-consumer', 'COUNT', 3, 'STREAMS', stream, '>');
      await gateway.redis.xreadgroup('GROUP', FANOUT_GROUP, 'busy-consumer', 'COUNT', 2, 'STREAMS', stream, '>');

      // The default idle time (60 s) would keep both for a minute; the heartbeat hands the dead one's over.
      worker = await startHub('stream-heartbeat', { HUB_PREFIX: prefix, HUB_ROLE: 'worker', STREAM_CLAIM_IDLE_MS: '60000' });
      const consumer = worker.app.get(EventStreamConsumer);
      // takenOver counts at the claim and processed after the handlers ran, so wait for the second.
      expect(await waitFor(async () => consumer.stats.processed >= 3, 40_000, 250)).toBe(true);
      expect(consumer.stats.takenOver).toBe(3);
      expect(consumer.stats.processed).toBe(3);
      expect(consumer.stats.reclaimed).toBe(0);
      const byConsumer = (await gateway.redis.xpending(stream, FANOUT_GROUP))[3] as [string, string][];
      expect(byConsumer).toEqual([['busy-consumer', '2']]);
      // The dead consumer is gone from the group once it holds nothing.
      const names = async () => ((await gateway.redis.xinfo('CONSUMERS', stream, FANOUT_GROUP)) as unknown[][]).map((c) => String(c[1])).sort();
      expect(await waitFor(async () => !(await names()).includes('killed-consumer'), 30_000, 250)).toBe(true);
      expect(await names()).toContain('busy-consumer');
      const metrics = await worker.http().get('/metrics');
      expect(metrics.text).toMatch(/^hub_stream_entries_total\{action="taken_over"\} 3$/m);
    } finally {
      clearInterval(keepAlive);
      await worker?.close();
      await gateway.close();
    }
  });

  it('publishes a batch of live events packed into messages of at most 64 KB, each event exactly once', async () => {
    const prefix = uniquePrefix('stream-live');
    const gateway = await startHub('stream-live', { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: SECRET });
    const listener = gateway.redis.duplicate();
    let worker: TestHub | undefined;
    try {
      const messages: string[] = [];
      listener.on('message', (_channel: string, message: string) => messages.push(message));
      await listener.subscribe(`{${prefix}}:events:live`);
      // Stored before the worker starts, so its first read takes them as one batch: six small events
      // and two of 40 KB, which cannot share a 64 KB message.
      const ids = [...(await ingest(gateway, 6, 'live')), ...(await ingest(gateway, 2, 'large', 40_000))];
      worker = await startHub('stream-live', { HUB_PREFIX: prefix, HUB_ROLE: 'worker' });
      const publishedIds = (): string[] =>
        messages.flatMap((m) => {
          const parsed = JSON.parse(m) as { id: string } | { id: string }[];
          return (Array.isArray(parsed) ? parsed : [parsed]).map((e) => e.id);
        });
      expect(await waitFor(async () => publishedIds().length >= 8, 15_000)).toBe(true);
      expect(publishedIds().sort()).toEqual([...ids].sort());
      expect(messages.every((m) => m.length <= 64 * 1024)).toBe(true);
      // Fewer messages than events: the small ones travelled together.
      expect(messages.length).toBeLessThan(8);
      expect(messages.length).toBeGreaterThanOrEqual(2);
    } finally {
      listener.disconnect();
      await worker?.close();
      await gateway.close();
    }
  });

  it('moves an event whose handlers keep failing to the dead-event stream, without holding back its batch', async () => {
    const hub = await startHub('stream-poison', { WHATSAPP_WEBHOOK_SECRET: SECRET, STREAM_MAX_DELIVERIES: '2', STREAM_CLAIM_IDLE_MS: '200' });
    try {
      const consumer = hub.app.get(EventStreamConsumer);
      const handled: string[] = [];
      consumer.addHandler({
        name: 'poison-detector',
        handle: async (events) => {
          if (events.some((e) => (e.data as { id: string }).id === 'p-1')) throw new Error('cannot handle p-1');
          handled.push(...events.map((e) => (e.data as { id: string }).id));
        },
      });
      await ingest(hub, 3, 'p');
      expect(await waitFor(async () => consumer.stats.deadLettered === 1 && consumer.stats.processed === 2, 10_000)).toBe(true);
      expect(handled.sort()).toEqual(['p-0', 'p-2']);
      expect(consumer.stats.processed).toBe(2);
      expect(await pendingCount(hub)).toBe(0);
      const dead = (await hub.redis.xrange(`{${hub.config.prefix}}:events:dead`, '-', '+')) as [string, string[]][];
      expect(dead).toHaveLength(1);
      const fields = dead[0][1];
      expect(fields[fields.indexOf('reason') + 1]).toBe('cannot handle p-1');
      expect(JSON.parse(fields[fields.indexOf('event') + 1]).data.id).toBe('p-1');
    } finally {
      await hub.close();
    }
  });

  it('lists dead events with their error (REST and MCP) and redrives them once the cause is fixed', async () => {
    const hub = await startHub('stream-dead-redrive', { WHATSAPP_WEBHOOK_SECRET: SECRET, STREAM_MAX_DELIVERIES: '1', STREAM_CLAIM_IDLE_MS: '200' });
    let mcp: ConnectedClient | undefined;
    try {
      const consumer = hub.app.get(EventStreamConsumer);
      let broken = true;
      const handled: string[] = [];
      consumer.addHandler({
        name: 'flaky-dependency',
        handle: async (events) => {
          if (broken && events.some((e) => (e.data as { id: string }).id === 'd-0')) throw new Error('dependency down');
          handled.push(...events.map((e) => (e.data as { id: string }).id));
        },
      });
      const [id] = await ingest(hub, 1, 'd');
      expect(await waitFor(async () => consumer.stats.deadLettered === 1, 10_000)).toBe(true);
      const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
      const listed = await hub.http().get('/api/v1/dead-events').set(auth);
      expect(listed.status).toBe(200);
      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0]).toMatchObject({ reason: 'dependency down', event: { id, data: { id: 'd-0' } } });
      mcp = await connectMcp(hub);
      expect(toolJson(await mcp.client.callTool({ name: 'list_dead_events', arguments: {} })).data[0].deadId).toBe(listed.body.data[0].deadId);
      expect(toolJson(await mcp.client.callTool({ name: 'redrive_dead_events', arguments: { dryRun: true } }))).toMatchObject({ dryRun: true, matched: 1 });

      broken = false;
      const redriven = await hub.http().post('/api/v1/dead-events/redrive').set(auth).send({ ids: [listed.body.data[0].deadId] });
      expect(redriven.status).toBe(202);
      expect(redriven.body).toMatchObject({ matched: 1, redriven: 1, missing: [] });
      expect(await waitFor(async () => handled.includes('d-0'), 10_000)).toBe(true);
      expect((await hub.http().get('/api/v1/dead-events').set(auth)).body.data).toEqual([]);
      // The event is still found by id, now at its new place in the stream.
      expect((await hub.http().get(`/api/v1/events/${id}`).set(auth)).body.data.id).toBe('d-0');
      expect((await hub.http().post('/api/v1/dead-events/redrive').set(auth).send({ ids: ['nope'] })).status).toBe(400);
      expect((await hub.http().get('/api/v1/dead-events?limit=0').set(auth)).status).toBe(400);
    } finally {
      await mcp?.client.close();
      await hub.close();
    }
  });
});
