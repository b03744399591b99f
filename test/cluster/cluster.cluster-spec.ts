import { randomBytes } from 'node:crypto';
import { TestHub, startHub, waitFor } from '../utils/hub-test-app';
import { HttpSink } from '../utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from '../utils/mcp-client';
import { TestRedisCluster } from '../utils/redis-cluster';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from '../utils/delivery-helpers';

jest.setTimeout(120_000);

/**
 * The hub on a Redis Cluster of three masters (REDIS_CLUSTER_NODES): every connection is a cluster
 * client, so a prefix whose slot lives on another node than the first seed works as on one Redis.
 * With EVENT_PARTITIONS=8 the event stream and the keys written with it spread over the masters.
 */
describe('Redis Cluster (three masters, REDIS_CLUSTER_NODES)', () => {
  const cluster = new TestRedisCluster(3);
  let prefix: string;
  let gateway: TestHub;
  let worker: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient | undefined;

  beforeAll(async () => {
    await cluster.start();
    // A prefix whose one hash tag is served by a node other than the first seed (the case that failed).
    do prefix = `cluster-${randomBytes(3).toString('hex')}`;
    while ((await cluster.nodeOf(`{${prefix}}`)) === cluster.ports[0]);
    const env = {
      HUB_PREFIX: prefix,
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}`,
      WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET,
      ALLOW_PRIVATE_TARGETS: 'true',
      EVENT_PARTITIONS: '8',
    };
    gateway = await startHub('cluster-gateway', { ...env, HUB_ROLE: 'gateway' });
    worker = await startHub('cluster-worker', { ...env, HUB_ROLE: 'worker' });
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await mcp?.client.close().catch(() => undefined);
    await worker?.app.close();
    await gateway?.app.close();
    worker?.redis.disconnect();
    gateway?.redis.disconnect();
    await sink?.stop();
    await cluster.stop();
  });

  it('is healthy, stores, delivers, notifies MCP sessions and replays on the cluster', async () => {
    expect((await gateway.http().get('/health')).status).toBe(200);
    expect((await gateway.http().get('/health/ready')).status).toBe(200);
    const sub = await admin(gateway).post('/api/v1/subscriptions', { url: sink.url('/cluster'), events: ['whatsapp.*'] });
    expect(sub.status).toBe(201);
    mcp = await connectMcp(gateway);
    await mcp.client.callTool({ name: 'subscribe_events', arguments: { patterns: ['whatsapp.*'] } });

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await ingestBridgeEvent(gateway, 'message.received', { id: `c-${i}` }));
    expect(await waitFor(async () => new Set(sink.received.map((r) => JSON.parse(r.body).id)).size === 20, 30_000)).toBe(true);
    expect(await waitFor(async () => ids.every((id) => mcp!.logged.some((l) => l.data.id === id)), 30_000)).toBe(true);

    const listed = toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { limit: 50 } }));
    expect(listed.data.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    const replay = await admin(gateway).post(`/api/v1/events/${ids[0]}/replay`, {});
    expect(replay.status).toBeLessThan(300);
    expect(await waitFor(async () => sink.received.length >= 21, 30_000)).toBe(true);

    // The eight partitions' keys (stream, dedupe keys, id index, stats) spread over all three masters.
    const perNode = await cluster.keysPerNode(`{${prefix}:p*}*`);
    process.stdout.write(`partition keys per master: ${JSON.stringify(perNode)}\n`);
    expect(Object.values(perNode).every((n) => n > 0)).toBe(true);
    expect(gateway.serverErrors).toEqual([]);
    expect(worker.serverErrors).toEqual([]);
  });
});
