import { TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';
import { connectMcp } from './utils/mcp-client';

describe('GET /metrics (Prometheus)', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    hub = await startHub('metrics', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await sink.stop();
    await hub.close();
  });

  const scrape = async () => {
    const res = await hub.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.text;
  };
  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

  it('counts ingress outcomes, stored events and delivery attempts', async () => {
    await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.*'] });
    await ingestBridgeEvent(hub, 'message.received', { id: 'm-1' });
    await ingestBridgeEvent(hub, 'message.received', { id: 'm-2' });
    const bad = await hub.http().post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Webhook-Signature', '00').send('{"event":"x"}');
    expect(bad.status).toBe(401);
    expect(await waitFor(async () => sink.received.length === 2, 5_000)).toBe(true);

    const text = await waitFor(async () => {
      const t = await scrape();
      return value(t, 'hub_delivery_attempts_total{result="succeeded",error_kind="none"}') === 2 ? t : null;
    }, 5_000);
    expect(text).toBeTruthy();
    expect(value(text!, 'hub_ingress_requests_total{source="whatsapp",outcome="accepted"}')).toBe(2);
    expect(value(text!, 'hub_ingress_requests_total{source="whatsapp",outcome="rejected"}')).toBe(1);
    expect(value(text!, 'hub_events_stored_total{source="whatsapp"}')).toBe(2);
    expect(value(text!, 'hub_verification_failures_total{source="whatsapp",reason="malformed X-Webhook-Signature: expected sha256=<64 hex digits> or 64 hex digits"}')).toBe(1);
    expect(value(text!, 'hub_delivery_duration_seconds_count')).toBe(2);
    expect(text).toContain('hub_process_');
    expect(text).not.toContain(BRIDGE_SECRET);
  });

  it('exposes the state operators alert on: stream lag, jobs by state, dead letters, endpoints, approvals, MCP sessions and notifications', async () => {
    const mcp = await connectMcp(hub);
    try {
      await mcp.client.callTool({ name: 'subscribe_events', arguments: { patterns: ['whatsapp.*'] } });
      await admin(hub).post('/api/v1/subscriptions', { url: sink.url('/off'), events: ['nothing.*'] }).then((r) => admin(hub).post(`/api/v1/subscriptions/${r.body.id}/disable`, {}));
      await ingestBridgeEvent(hub, 'message.received', { id: 'm-3' });
      const text = await waitFor(async () => {
        const t = await scrape();
        return value(t, 'hub_mcp_notifications_total{method="notifications/message"}') >= 1 && value(t, 'hub_stream_consumer_lag{group="fanout"}') === 0 ? t : null;
      }, 15_000);
      expect(text).toBeTruthy();
      expect(value(text!, 'hub_mcp_sessions')).toBe(1);
      expect(text).toMatch(/^hub_delivery_queue_jobs\{state="waiting"\} \d+$/m);
      expect(text).toMatch(/^hub_delivery_queue_jobs\{state="completed"\} \d+$/m);
      expect(value(text!, 'hub_endpoints{state="enabled"}')).toBe(1);
      expect(value(text!, 'hub_endpoints{state="disabled"}')).toBe(1);
      expect(text).toMatch(/^hub_dead_letters 0$/m);
      expect(text).toMatch(/^hub_dead_events 0$/m);
      expect(text).toMatch(/^hub_approvals_pending 0$/m);
      expect(text).toMatch(/^hub_stream_pending\{group="fanout"\} 0$/m);
    } finally {
      await mcp.client.close();
    }
  });
});
