import { Job } from 'bullmq';
import { DELIVERY_BATCH_JOB, DELIVERY_JOB, DeliveryBatchJobData, DeliveryQueueJobData, DeliveryQueues } from '@hub/delivery';
import { TestHub, startHub } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, eventually, explainDeliveries, ingestBridgeEvent, verifyStandardWebhook } from './utils/delivery-helpers';

jest.setTimeout(60_000);

/**
 * Batch delivery jobs (DELIVERY_BATCH_SIZE, here 4): deliveries to one endpoint queued together (a
 * fan-out of a burst, a replay) share jobs; each still gets its own record and attempt log, a delivery
 * that fails gets a job of its own for its retries, and a batch run again sends only what has no outcome.
 */
describe('batched delivery jobs', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let queues: DeliveryQueues;

  beforeAll(async () => {
    hub = await startHub('delivery-batches', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true', DELIVERY_BATCH_SIZE: '4' });
    queues = hub.app.get(DeliveryQueues, { strict: false });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(() => sink.stop());

  /** A subscription with `count` events delivered one by one, then all of them replayed in one go (one enqueue). */
  async function deliveredThenReplayed(type: string, count: number, body: object = {}) {
    const sub = (await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: [`whatsapp.${type}`], ...body })).body as { id: string; secret: string };
    const eventIds: string[] = [];
    for (let i = 0; i < count; i++) eventIds.push(await ingestBridgeEvent(hub, type, { id: `${type}-${i}` }));
    await eventually(`${count} first deliveries`, async () => sink.received.length === count, 15_000, () => explainDeliveries(hub, sub.id, sink));
    const replay = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/replay`, { status: 'all', since: 0 });
    expect(replay.status).toBe(202);
    expect(replay.body.enqueued).toBe(count);
    return { sub, eventIds };
  }

  /** The batch jobs of a subscription's replayed deliveries (the first deliveries may have been batched too, by chance). */
  async function replayBatches(subscriptionId: string): Promise<Job<DeliveryBatchJobData>[]> {
    const jobs = (await queues.forSubscription(subscriptionId).getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'], 0, 1_000)) as Job<DeliveryQueueJobData>[];
    return jobs.filter((job): job is Job<DeliveryBatchJobData> => {
      if (job.name !== DELIVERY_BATCH_JOB || job.data.subscriptionId !== subscriptionId) return false;
      // A replayed delivery's id ends in the replay's suffix: dlv_<event>_<subscription>_<suffix>.
      return (job.data as DeliveryBatchJobData).deliveries.every((d) => d.deliveryId.split('_').length === 4);
    });
  }

  /** Waits (15 s at most) for `check` to give a value, else fails with what the deliveries look like. */
  async function settled<T>(what: string, subscriptionId: string, check: () => Promise<T | null>): Promise<T> {
    return (await eventually(what, check, 15_000, () => explainDeliveries(hub, subscriptionId, sink))) as T;
  }

  async function replayedDeliveries(subscriptionId: string) {
    const list = await admin(hub).get(`/api/v1/deliveries?subscriptionId=${subscriptionId}&limit=100`);
    return (list.body.data as { id: string; trigger: string; status: string; attemptCount: number }[]).filter((d) => d.trigger === 'replay');
  }

  it('sends deliveries queued together in batch jobs of DELIVERY_BATCH_SIZE, each once, signed and logged on its own', async () => {
    const { sub, eventIds } = await deliveredThenReplayed('message.received', 10);
    await eventually('10 replayed deliveries', async () => sink.received.length === 20, 15_000, () => explainDeliveries(hub, sub.id, sink));

    const batches = await settled('3 completed batch jobs', sub.id, async () => {
      const jobs = await replayBatches(sub.id);
      return jobs.length === 3 && (await Promise.all(jobs.map((j) => j.getState()))).every((s) => s === 'completed') ? jobs : null;
    });
    expect(batches.map((j) => j.data.deliveries.length).sort()).toEqual([2, 4, 4]);
    const batched = batches.flatMap((j) => j.data.deliveries.map((d) => d.deliveryId));
    expect(new Set(batched).size).toBe(10);

    const replayed = sink.received.slice(10);
    for (const req of replayed) verifyStandardWebhook(sub.secret, req);
    expect(replayed.map((r) => r.headers['webhook-id']).sort()).toEqual([...eventIds].sort());
    expect(replayed.every((r) => r.headers['x-webhook-retry-count'] === undefined)).toBe(true);

    const records = await settled('10 succeeded records', sub.id, async () => {
      const list = await replayedDeliveries(sub.id);
      return list.length === 10 && list.every((d) => d.status === 'succeeded') ? list : null;
    });
    expect(records.map((d) => d.id).sort()).toEqual([...batched].sort());
    expect(records.every((d) => d.attemptCount === 1)).toBe(true);
    const detail = (await admin(hub).get(`/api/v1/deliveries/${records[0].id}`)).body;
    expect(detail.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200 })]);
  });

  it('gives a delivery that fails in a batch a job of its own, which retries it on the schedule', async () => {
    // The first three (one by one) succeed; each replayed delivery fails once, then succeeds.
    sink.reply = (req, i) => (i >= 3 && req.headers['x-webhook-retry-count'] === undefined ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' });
    const { sub } = await deliveredThenReplayed('message.sent', 3, { retrySchedule: [1, 1] });
    await eventually('3 retried deliveries', async () => sink.received.length === 9, 20_000, () => explainDeliveries(hub, sub.id, sink));
    const retries = sink.received.slice(6);
    expect(retries.map((r) => r.headers['x-webhook-retry-count'])).toEqual(['1', '1', '1']);
    expect(retries.map((r) => r.headers['x-webhook-max-retries'])).toEqual(['2', '2', '2']);

    const records = await settled('3 succeeded records', sub.id, async () => {
      const list = await replayedDeliveries(sub.id);
      return list.length === 3 && list.every((d) => d.status === 'succeeded') ? list : null;
    });
    for (const record of records) {
      const detail = (await admin(hub).get(`/api/v1/deliveries/${record.id}`)).body;
      expect(detail.attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode])).toEqual([
        [1, 503],
        [2, 200],
      ]);
      const own = await queues.forSubscription(sub.id).getJob(record.id);
      expect(own?.name).toBe(DELIVERY_JOB);
    }
    expect(await replayBatches(sub.id)).toHaveLength(1);
  });

  it('a batch run again sends nothing already delivered', async () => {
    const { sub } = await deliveredThenReplayed('presence.update', 4);
    const [batch] = await settled('a completed batch job', sub.id, async () => {
      const jobs = await replayBatches(sub.id);
      return jobs.length === 1 && (await jobs[0].getState()) === 'completed' ? jobs : null;
    });
    expect(sink.received).toHaveLength(8);
    // What a fan-out re-run after a crash could queue: a second batch holding the same deliveries.
    const again = await queues.forSubscription(sub.id).add(DELIVERY_BATCH_JOB, batch.data, { jobId: `${batch.id}_again` });
    const done = await settled('the second batch completed', sub.id, async () => ((await again.getState()) === 'completed' ? (await queues.forSubscription(sub.id).getJob(again.id!)) ?? null : null));
    expect(done?.returnvalue).toEqual({ sent: 0, retrying: 0 });
    expect(sink.received).toHaveLength(8);
    // What a batch hands on when it cannot tell whether an attempt went out: a job of its own that looks first.
    const [first] = batch.data.deliveries;
    const own = await queues.forSubscription(sub.id).add(DELIVERY_JOB, { ...first, checkOutcome: true }, { jobId: first.deliveryId, attempts: 1 });
    expect(await settled('the single job completed', sub.id, async () => ((await own.getState()) === 'completed' ? true : null))).toBe(true);
    expect(sink.received).toHaveLength(8);
  });

  it('stops a batch when its endpoint is disabled part-way (410 Gone): the rest are cancelled and kept for replay, not sent', async () => {
    // The first four (one by one) succeed; the replayed ones meet a 410.
    sink.reply = (_req, i) => (i >= 4 ? { status: 410, body: 'gone' } : { status: 200, body: 'ok' });
    const { sub } = await deliveredThenReplayed('message.updated', 4);
    const disabled = await settled('the endpoint disabled', sub.id, async () => {
      const res = await admin(hub).get(`/api/v1/subscriptions/${sub.id}`);
      return res.body.enabled === false ? res.body : null;
    });
    expect(disabled.disabledReason).toBe('endpoint answered 410 Gone');
    const records = await settled('4 replayed records with an outcome', sub.id, async () => {
      const list = await replayedDeliveries(sub.id);
      return list.length === 4 && list.every((d) => d.status !== 'pending') ? list : null;
    });
    // The first of the batch went out alone (a batch sends one at a time until one succeeds) and got the 410.
    expect(sink.received).toHaveLength(5);
    expect(records.map((d) => d.status).sort()).toEqual(['cancelled', 'cancelled', 'cancelled', 'dead']);
    const dry = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/replay`, { status: 'skipped', since: 0, dryRun: true });
    expect(dry.body.counts.skipped).toBe(3);
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
