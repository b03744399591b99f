import { ADMIN_TOKEN, TestHub, sleep, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { sha256Header } from './utils/signatures';

const SECRET = 'cct_health_secret_2026';
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** A health report as the document sends it, at `at`. */
function report(status: string, at: Date, checks: { name: string; status: string }[] = []): string {
  return JSON.stringify({ webhook_type: 'health_update', timestamp: at.toISOString(), health: { status, checks, uptime_seconds: 7320, events_processed_total: 1250 } });
}

describe('CCTelegram bridge health: last report in /api/status, hub.alert on a change to and from unhealthy', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    hub = await startHub('cctelegram-health', { CCTELEGRAM_WEBHOOK_SECRET: SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    expect((await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/alerts'), events: ['hub.alert'] })).status).toBe(201);
  });
  afterAll(async () => {
    await hub?.close();
    await sink?.stop();
  });

  const send = async (body: string) => {
    const res = await hub
      .http()
      .post('/webhook/health')
      .set({ 'Content-Type': 'application/json', 'X-CCTelegram-Signature': sha256Header(SECRET, body), 'X-CCTelegram-Timestamp': String(Math.floor(Date.now() / 1000)) })
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'received', accepted: [expect.stringMatching(/^evt_/)] });
    return res.body.accepted[0] as string;
  };
  const processed = (id: string) =>
    waitFor(async () => (await hub.http().get('/api/status')).body.providers.find((p: { source: string }) => p.source === 'cctelegram')?.health?.reported_at !== undefined && (await lastReportId()) === id, 15_000);
  const lastReportId = async () => (await hub.redis.hget(`{${hub.config.prefix}}:provider:cctelegram:health`, 'report').then((r) => (r ? JSON.parse(r).event_id : null)));
  const alerts = async () => (await hub.http().get('/api/v1/events').query({ type: 'hub.alert' }).set(auth)).body.data.reverse();

  it('healthy → unhealthy → healthy → healthy gives two alerts; a late older report changes nothing', async () => {
    const t0 = Date.now() - 60_000;
    expect(await processed(await send(report('healthy', new Date(t0))))).toBe(true);
    expect(await alerts()).toEqual([]);

    const failing = [{ name: 'telegram_api_connectivity', status: 'fail' }, { name: 'memory_usage', status: 'pass' }];
    expect(await processed(await send(report('unhealthy', new Date(t0 + 10_000), failing)))).toBe(true);
    expect(await processed(await send(report('healthy', new Date(t0 + 20_000))))).toBe(true);
    expect(await processed(await send(report('healthy', new Date(t0 + 30_000))))).toBe(true);
    // Reported before the latest one, arriving late: no alert, the status stays.
    await send(report('degraded', new Date(t0 + 5_000)));
    await sleep(1_500);

    const list = await alerts();
    expect(list.map((a: { data: { previous_status: string; status: string } }) => `${a.data.previous_status}->${a.data.status}`)).toEqual(['healthy->unhealthy', 'unhealthy->healthy']);
    expect(list[0]).toMatchObject({ source: 'hub', type: 'hub.alert', data: { source: 'cctelegram', checks: failing, message: 'CCTelegram bridge is unhealthy (was healthy) (failing: telegram_api_connectivity)' } });
    expect(list[1].data.message).toBe('CCTelegram bridge recovered: healthy (was unhealthy)');

    const status = (await hub.http().get('/api/status')).body.providers.find((p: { source: string }) => p.source === 'cctelegram');
    expect(status).toMatchObject({ configured: true, health: { status: 'healthy', reported_at: new Date(t0 + 30_000).toISOString() } });
    // Operators subscribed to hub.alert got both.
    expect(await waitFor(async () => sink.received.filter((r) => r.path === '/alerts').length === 2, 15_000)).toBe(true);
  });

  it('raises one alert when the same report is handled again, also after a crash before its status was recorded', async () => {
    const before = (await alerts()).length;
    const id = await send(report('degraded', new Date(Date.now()), [{ name: 'disk', status: 'warn' }]));
    expect(await processed(id)).toBe(true);
    const { EventStreamConsumer } = await import('../apps/worker/src/event-stream.consumer');
    const event = (await hub.http().get(`/api/v1/events/${id}`).set(auth)).body;
    await hub.app.get(EventStreamConsumer).handleAgain([event]);
    // A crash after the alert was stored but before the status was: the re-run sees a transition again.
    await hub.redis.del(`{${hub.config.prefix}}:provider:cctelegram:health`);
    await hub.app.get(EventStreamConsumer).handleAgain([event]);
    await sleep(500);
    expect((await alerts()).length).toBe(before + 1);
  });
});
