import { TestHub, startHub, waitFor } from '../utils/hub-test-app';
import { HttpSink } from '../utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from '../utils/mcp-client';
import { TestRedisCluster } from '../utils/redis-cluster';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from '../utils/delivery-helpers';

jest.setTimeout(120_000);

/**
 * The hub on a Redis Cluster of three masters (REDIS_CLUSTER_NODES): every connection is a cluster
 * client, so a prefix whose slot lives on another node than the first seed works as on one Redis.
 * With EVENT_PARTITIONS=8 and DELIVERY_QUEUES=4 the event stream, the delivery queues and the keys
 * written with them spread over the masters; two gateways and two workers share the work.
 */
describe('Redis Cluster (three masters, REDIS_CLUSTER_NODES, two gateways, two workers)', () => {
  const cluster = new TestRedisCluster(3);
  const SUBSCRIPTIONS = 4;
  const EVENTS = 40;
  let prefix: string;
  let gateways: TestHub[] = [];
  let workers: TestHub[] = [];
  let sink: HttpSink;
  let mcp: ConnectedClient | undefined;

  beforeAll(async () => {
    await cluster.start();
    // A prefix whose own hash tag is served by a node other than the first seed (the case that failed).
    prefix = await cluster.spreadPrefix('cluster', 8, 4);
    const env = {
      HUB_PREFIX: prefix,
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}`,
      WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET,
      ALLOW_PRIVATE_TARGETS: 'true',
      EVENT_PARTITIONS: '8',
      DELIVERY_QUEUES: '4',
    };
    gateways = [await startHub('cluster-gateway-a', { ...env, HUB_ROLE: 'gateway' }), await startHub('cluster-gateway-b', { ...env, HUB_ROLE: 'gateway' })];
    workers = [
      await startHub('cluster-worker-a', { ...env, HUB_ROLE: 'worker', STREAM_CONSUMER_NAME: 'worker-a' }),
      await startHub('cluster-worker-b', { ...env, HUB_ROLE: 'worker', STREAM_CONSUMER_NAME: 'worker-b' }),
    ];
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await mcp?.client.close().catch(() => undefined);
    for (const hub of [...workers, ...gateways]) {
      await hub.app.close();
      hub.redis.disconnect();
    }
    await sink?.stop();
    await cluster.stop();
  });

  it('is healthy, stores, delivers each event to each endpoint once, notifies MCP sessions and replays on the cluster', async () => {
    const [gateway, other] = gateways;
    expect((await gateway.http().get('/health')).status).toBe(200);
    expect((await other.http().get('/health/ready')).status).toBe(200);
    const subscriptionIds: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const sub = await admin(gateways[i % 2]).post('/api/v1/subscriptions', { url: sink.url(`/cluster-${i}`), events: ['whatsapp.*'] });
      expect(sub.status).toBe(201);
      subscriptionIds.push(sub.body.id);
    }
    mcp = await connectMcp(other);
    await mcp.client.callTool({ name: 'subscribe_events', arguments: { patterns: ['whatsapp.*'] } });

    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) ids.push(await ingestBridgeEvent(gateways[i % 2], 'message.received', { id: `c-${i}` }));
    const pairs = () => sink.received.map((r) => `${r.path} ${JSON.parse(r.body).id}`);
    expect(await waitFor(async () => new Set(pairs()).size === EVENTS * SUBSCRIPTIONS, 60_000)).toBe(true);
    // No crash here: nothing may arrive twice.
    expect(pairs()).toHaveLength(EVENTS * SUBSCRIPTIONS);
    expect(await waitFor(async () => ids.every((id) => mcp!.logged.some((l) => l.data.id === id)), 30_000)).toBe(true);

    const listed = toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { limit: 50 } }));
    expect(listed.data.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    const deliveries = (await admin(gateway).get(`/api/v1/deliveries?eventId=${ids[7]}`)).body.data as { subscriptionId: string; status: string }[];
    expect(deliveries.map((d) => d.subscriptionId).sort()).toEqual([...subscriptionIds].sort());
    const replay = await admin(other).post(`/api/v1/events/${ids[0]}/replay`, {});
    expect(replay.status).toBeLessThan(300);
    expect(await waitFor(async () => sink.received.length >= EVENTS * SUBSCRIPTIONS + SUBSCRIPTIONS, 30_000)).toBe(true);

    // The eight partitions' keys (stream, dedupe keys, id index, stats) and the four delivery shards'
    // (queues, records, bodies, indexes) each spread over all three masters.
    const partitionKeys = await cluster.keysPerNode(`{${prefix}:p*}*`);
    const deliveryKeys = await cluster.keysPerNode(`{${prefix}:q*}*`);
    process.stdout.write(`keys per master: partitions ${JSON.stringify(partitionKeys)}, delivery shards ${JSON.stringify(deliveryKeys)}\n`);
    expect(Object.values(partitionKeys).every((n) => n > 0)).toBe(true);
    expect(Object.keys(deliveryKeys)).toHaveLength(3);
    expect(Object.values(deliveryKeys).every((n) => n > 0)).toBe(true);
    for (const hub of [...gateways, ...workers]) expect(hub.serverErrors).toEqual([]);
  });
});
