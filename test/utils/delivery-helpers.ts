import { Webhook } from 'standardwebhooks';
import { ADMIN_TOKEN, TestHub } from './hub-test-app';
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
