import { EventStreamConsumer } from '../apps/worker/src/event-stream.consumer';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, REDIS_URL, TestHub, freePort, startHub, waitFor } from './utils/hub-test-app';
import { HubProcess } from './utils/hub-process';
import { sha256Header } from './utils/signatures';
import { HttpSink } from './utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(60_000);

/**
 * EVENT_PARTITIONS=4 on one Redis: the same behaviour as one stream (store, dedupe, read by id, list
 * newest first across pages, deliver, dead events and their redrive), with the keys under four tags.
 */
describe('a partitioned event stream (EVENT_PARTITIONS=4)', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient | undefined;
  const ids: string[] = [];

  beforeAll(async () => {
    hub = await startHub('partitions', { EVENT_PARTITIONS: '4', WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true', STREAM_MAX_DELIVERIES: '1', STREAM_CLAIM_IDLE_MS: '300' });
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await mcp?.client.close();
    await sink.stop();
    await hub.close();
  });

  it('stores each event in its partition, dedupes, and finds it by id', async () => {
    expect((await admin(hub).post('/api/v1/subscriptions', { url: sink.url('/p'), events: ['whatsapp.*'] })).status).toBe(201);
    for (let i = 0; i < 40; i++) ids.push(await ingestBridgeEvent(hub, 'message.received', { id: `p-${i}` }));
    const prefix = hub.config.prefix;
    const lengths = await Promise.all([0, 1, 2, 3].map((p) => hub.redis.xlen(`{${prefix}:p${p}}:events`)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(40);
    expect(lengths.every((n) => n > 0)).toBe(true);
    expect(await hub.redis.exists(`{${prefix}}:events`)).toBe(0);
    // A redelivery is a duplicate of the first, whichever partition it lives in.
    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: 'p-3' } });
    const again = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Webhook-Signature': sha256Header(BRIDGE_SECRET, body) }).send(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, id: ids[3] });
    for (const id of ids) expect((await admin(hub).get(`/api/v1/events/${id}`)).body).toMatchObject({ id, data: { id: expect.stringMatching(/^p-/) } });
  });

  it('lists newest first across partitions, each event once, page after page (REST and MCP)', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin(hub).get(`/api/v1/events?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    mcp = await connectMcp(hub);
    const first = toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { limit: 25 } }));
    const second = toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { limit: 25, cursor: first.nextCursor } }));
    expect([...first.data, ...second.data].map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    expect((await admin(hub).get('/api/v1/events?cursor=1-0')).status).toBe(400);
  });

  it('delivers every event, and dead-letters and redrives a failing one in its partition', async () => {
    expect(await waitFor(async () => new Set(sink.received.map((r) => JSON.parse(r.body).id)).size === 40, 20_000)).toBe(true);
    const consumer = hub.app.get(EventStreamConsumer);
    let broken = true;
    consumer.addHandler({ name: 'flaky', handle: async (events) => {
      if (broken && events.some((e) => (e.data as { id: string }).id === 'p-dead')) throw new Error('dependency down');
    } });
    const deadId = await ingestBridgeEvent(hub, 'message.received', { id: 'p-dead' });
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const listed = await waitFor(async () => {
      const res = await hub.http().get('/api/v1/dead-events').set(auth);
      return res.body.data.length === 1 ? res.body.data[0] : null;
    }, 20_000);
    expect(listed).toMatchObject({ reason: 'dependency down', event: { id: deadId } });
    broken = false;
    const redriven = await hub.http().post('/api/v1/dead-events/redrive').set(auth).send({ ids: [listed.deadId] });
    expect(redriven.body).toMatchObject({ matched: 1, redriven: 1, missing: [] });
    expect(await waitFor(async () => (await hub.http().get('/api/v1/dead-events').set(auth)).body.data.length === 0, 10_000)).toBe(true);
    expect((await admin(hub).get(`/api/v1/events/${deadId}`)).body.id).toBe(deadId);
    expect((await hub.http().get('/health/ready')).status).toBe(200);
    // 41 accepted, plus the redriven event's new entry (its dead one stays behind, acknowledged, until trimmed).
    expect((await hub.http().get('/api/status')).body.storedEvents).toBe(42);
  });

  it('refuses to start the same prefix with another partition count, saying what to do', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'hub-partitions-')), 'hub.log');
    const other = new HubProcess({ HUB_PREFIX: hub.config.prefix, EVENT_PARTITIONS: '2', REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'error' }, log);
    await expect(other.start()).rejects.toThrow(/exited during start/);
    expect(readFileSync(log, 'utf8')).toMatch(/EVENT_PARTITIONS is 2 but prefix \S+ was started with 4: the count cannot change on a running system/);
    expect(hub.serverErrors).toEqual([]);
  });
});
