import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN, TestHub, startHub, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent, verifyStandardWebhook } from './utils/delivery-helpers';
import { HttpSink, ReceivedRequest } from './utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** The WhatsApp document's receiver code, verbatim: it re-serialises the parsed body. */
function verifySignature(payload: unknown, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return signature === `sha256=${expected}`;
}

describe("the documents' delivery shapes (payloadFormat seed)", () => {
  let hub: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    hub = await startHub('seed-shapes', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    mcp = await connectMcp(hub);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await hub?.close();
    await sink?.stop();
  });

  const at = (path: string) => sink.received.filter((r) => r.path === path);
  const arrived = async (path: string, count = 1): Promise<ReceivedRequest[]> => {
    expect(await waitFor(async () => at(path).length >= count, 15_000)).toBe(true);
    return at(path);
  };

  it('whatsapp_webhook_register with a secret: {event, timestamp: <unix ms>, data}, verified by the document\'s own verifySignature', async () => {
    const secret = 'your-hmac-secret';
    const reg = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url: sink.url('/signed'), events: ['message.received', 'connection.update'], secret } }));
    expect(reg.success).toBe(true);
    await ingestBridgeEvent(hub, 'message.received', { messages: [{ key: { id: 'seed-shape-1' } }], type: 'notify' });
    const [request] = await arrived('/signed');
    const payload = JSON.parse(request.body) as { event: string; timestamp: unknown; data: unknown };
    // A receiver written from the document: switch (payload.event) matches.
    expect(Object.keys(payload)).toEqual(['event', 'timestamp', 'data']);
    expect(payload.event).toBe('message.received');
    expect(typeof payload.timestamp).toBe('number');
    expect(Number.isInteger(payload.timestamp)).toBe(true);
    expect(payload.data).toMatchObject({ messages: [{ key: { id: 'seed-shape-1' } }], type: 'notify' });
    expect(verifySignature(payload, String(request.headers['x-webhook-signature']), secret)).toBe(true);
    expect(request.headers['webhook-id']).toMatch(/^evt_/);
  });

  it('without a secret: no X-Webhook-Signature, the Standard Webhooks headers stay', async () => {
    toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url: sink.url('/unsigned'), events: ['*'] } }));
    await ingestBridgeEvent(hub, 'presence.update', { id: 'seed-shape-2', presences: {} });
    const [request] = await arrived('/unsigned');
    expect(request.headers['x-webhook-signature']).toBeUndefined();
    expect(request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(request.body)).toMatchObject({ event: 'presence.update', data: { id: 'seed-shape-2' } });
    const listed = (await hub.http().get('/api/v1/subscriptions').set(auth)).body.data.find((s: { url: string }) => s.url === sink.url('/unsigned'));
    expect(listed.payloadFormat).toBe('seed');
  });

  it('refuses an event name the document does not list, naming the valid ones', async () => {
    const result = await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url: sink.url('/never'), events: ['message.deleted'] } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('message.received, message.sent, message.update, connection.update, group.update, presence.update, *');
    const listed = (await hub.http().get('/api/v1/subscriptions').set(auth)).body.data;
    expect(listed.some((s: { url: string }) => s.url === sink.url('/never'))).toBe(false);
  });

  it('REST sets either format; hub stays the default and an unknown one is a 400', async () => {
    const seed = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/rest-seed'), events: ['whatsapp.group.update'], payloadFormat: 'seed' });
    expect(seed.status).toBe(201);
    expect(seed.body.payloadFormat).toBe('seed');
    const hubFormat = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/rest-hub'), events: ['whatsapp.group.update'] });
    expect(hubFormat.body.payloadFormat).toBe('hub');
    const bad = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/rest-bad'), payloadFormat: 'xml' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/payloadFormat must be "hub" or "seed"/);

    await ingestBridgeEvent(hub, 'group.update', { id: 'seed-shape-3' });
    const [asSeed] = await arrived('/rest-seed');
    const [asHub] = await arrived('/rest-hub');
    expect(JSON.parse(asSeed.body)).toMatchObject({ event: 'group.update', data: { id: 'seed-shape-3' } });
    expect(JSON.parse(asHub.body)).toMatchObject({ type: 'whatsapp.group.update', source: 'whatsapp', data: { id: 'seed-shape-3' } });
    // Both verify with Standard Webhooks; the REST seed subscription's generated secret is not "given", so no X-Webhook-Signature.
    expect(verifyStandardWebhook(seed.body.secret, asSeed)).toBeTruthy();
    expect(asSeed.headers['x-webhook-signature']).toBeUndefined();
    expect(asHub.headers['x-webhook-signature']).toMatch(/^sha256=/);
    // A test delivery has the subscription's shape too.
    const tested = await hub.http().post(`/api/v1/subscriptions/${seed.body.id}/test`).set(auth).send({});
    expect(tested.body.ok).toBe(true);
    const test = (await arrived('/rest-seed', 2))[1];
    expect(JSON.parse(test.body)).toMatchObject({ event: 'webhook.test' });
  });
});

describe('subscription headers and secrets (issue 12)', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    hub = await startHub('subscription-headers', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    mcp = await connectMcp(hub);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await hub?.close();
    await sink?.stop();
  });

  it('refuses a header value with a control character or non-ASCII at creation', async () => {
    for (const value of ['token\u0007', 'price €5', 'a\u0000b', 'line\nbreak']) {
      const res = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/bad-header'), headers: { 'X-Receiver-Key': value } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'headers.X-Receiver-Key', message: expect.stringMatching(/visible ASCII/) });
    }
  });

  it('masks header values in every read, keeps them on delivery, and a masked value sent back changes nothing', async () => {
    const created = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/with-header'), events: ['whatsapp.*'], headers: { 'X-Receiver-Key': 'receiver-token-123' } });
    expect(created.status).toBe(201);
    expect(created.body.headers).toEqual({ 'X-Receiver-Key': '***' });
    const reads = [
      JSON.stringify((await hub.http().get(`/api/v1/subscriptions/${created.body.id}`).set(auth)).body),
      JSON.stringify((await hub.http().get('/api/v1/subscriptions').set(auth)).body),
      JSON.stringify(await mcp.client.callTool({ name: 'list_webhooks', arguments: {} })),
      JSON.stringify(await mcp.client.readResource({ uri: 'hub://webhooks' })),
    ];
    for (const read of reads) expect(read).not.toContain('receiver-token-123');
    await hub.http().patch(`/api/v1/subscriptions/${created.body.id}`).set(auth).send({ headers: { 'X-Receiver-Key': '***' }, description: 'renamed' });
    await ingestBridgeEvent(hub, 'group.update', { id: 'header-kept' });
    expect(await waitFor(async () => sink.received.some((r) => r.path === '/with-header'), 15_000)).toBe(true);
    expect(sink.received.find((r) => r.path === '/with-header')?.headers['x-receiver-key']).toBe('receiver-token-123');
  });

  it('whatsapp_webhook_register without a secret shows the generated one once', async () => {
    const first = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url: sink.url('/wa-generated'), events: ['*'] } }));
    expect(first.webhook.secret).toMatch(/^whsec_/);
    const again = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url: sink.url('/wa-generated'), events: ['message.received'] } }));
    expect(again.created).toBe(false);
    expect(again.webhook.secret).toBeUndefined();
  });

  it('loses no update when the worker disables an endpoint while an operator rotates its secret (compare-and-set)', async () => {
    const { SubscriptionsService } = await import('@hub/delivery');
    const service = hub.app.get(SubscriptionsService);
    const created = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/cas'), events: ['never.*'] });
    for (let i = 0; i < 10; i++) {
      // Both read the same record before either writes: without compare-and-set the second write wins whole.
      const [rotated] = await Promise.all([service.rotateSecret(created.body.id, { graceSeconds: 0 }), service.setEnabled(created.body.id, i % 2 === 0 ? false : true, 'circuit breaker')]);
      const stored = await service.get(created.body.id);
      expect(stored.secret).toBe(rotated.secret);
      expect(stored.enabled).toBe(i % 2 !== 0);
    }
  });

  it('answers a credential for an unconfigured scheme like a wrong one, naming no variable', async () => {
    const body = '{"event":"message.received","timestamp":1,"data":{"id":"x"}}';
    const res = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }).send(body);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('invalid X-Hub-Signature-256 signature');
    expect(JSON.stringify(res.body)).not.toMatch(/WHATSAPP_APP_SECRET|not set/);
  });
});
