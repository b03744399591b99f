import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { DeliveryQueues, SubscriptionCache } from '@hub/delivery';
import { EventStreamConsumer } from '../../apps/worker/src/event-stream.consumer';
import { ADMIN_TOKEN, TestHub, waitFor } from './hub-test-app';
import { ReceivedRequest } from './http-sink';
import { sha256Header } from './signatures';

export const BRIDGE_SECRET = 'delivery-bridge-secret';

/** Stores one WhatsApp bridge event through the real ingress route; returns its id. */
export async function ingestBridgeEvent(hub: TestHub, event: string, data: Record<string, unknown>): Promise<string> {
  const body = JSON.stringify({ event, timestamp: Date.now(), data });
  const res = await hub
    .http()
    .post('/webhooks/whatsapp')
    .set('Content-Type', 'application/json')
    .set('X-Webhook-Signature', sha256Header(BRIDGE_SECRET, body))
    .send(body);
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.accepted[0];
}

export function admin(hub: TestHub) {
  const auth = <T extends { set(name: string, value: string): T }>(test: T): T => test.set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return {
    get: (path: string) => auth(hub.http().get(path)),
    post: (path: string, body?: object) => auth(hub.http().post(path)).send(body ?? {}),
    patch: (path: string, body: object) => auth(hub.http().patch(path)).send(body),
    delete: (path: string) => auth(hub.http().delete(path)),
  };
}

/** Verifies a received delivery with the `standardwebhooks` package, as an independent receiver would. */
export function verifyStandardWebhook(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

/**
 * What the hub knows about one subscription's deliveries, for a failure message: the sink's
 * requests, the delivery records with their attempts, the BullMQ job states and the stream
 * consumer's counters. A timing failure in CI then says where the event stopped.
 */
export async function explainDeliveries(hub: TestHub, subscriptionId: string, sink?: { received: ReceivedRequest[] }): Promise<string> {
  const lines: string[] = [];
  const started = sink?.received[0]?.at ?? Date.now();
  if (sink) lines.push(`sink received ${sink.received.length}: ${sink.received.map((r) => `+${r.at - started}ms`).join(', ')}`);
  const cache = hub.app.get(SubscriptionCache, { strict: false });
  lines.push(`subscription ${subscriptionId} in the worker's cache: ${cache.get(subscriptionId) ? 'yes' : 'NO'}`);
  const list = await admin(hub).get(`/api/v1/deliveries?subscriptionId=${subscriptionId}`);
  const queues = hub.app.get(DeliveryQueues, { strict: false });
  const queue = queues.forSubscription(subscriptionId);
  for (const d of (list.body.data ?? []) as { id: string }[]) {
    const detail = (await admin(hub).get(`/api/v1/deliveries/${d.id}`)).body;
    const job = await queue.getJob(d.id);
    lines.push(`delivery ${JSON.stringify(detail)}`);
    lines.push(`  job: ${job ? `${await job.getState()} attemptsMade=${job.attemptsMade} delay=${job.delay} failedReason=${job.failedReason ?? ''}` : 'none'}`);
  }
  if (!list.body.data?.length) lines.push(`no delivery records (GET /api/v1/deliveries answered ${list.status})`);
  const consumer = hub.app.get(EventStreamConsumer, { strict: false });
  lines.push(`stream consumer: ${JSON.stringify(consumer.stats)}; queue counts: ${JSON.stringify(await queues.jobCounts())}`);
  return lines.join('\n');
}

/** Waits like waitFor; on timeout fails with `explain()`'s account instead of a bare false. */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs: number, explain: () => Promise<string>): Promise<T> {
  const value = await waitFor(check, timeoutMs);
  if (!value) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await explain()}`);
  return value;
}
