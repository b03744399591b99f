import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { ADMIN_TOKEN, TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(60_000);

/** Debian's Chromium, which .ci/run installs (Playwright's own browser download is not possible here). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('queue dashboard (Bull Board at /admin/queues) in a real browser', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    hub = await startHub('dashboard', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    sink = await new HttpSink().start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await sink?.stop();
    await hub?.close();
  });

  const dashboardUrl = () => `http://127.0.0.1:${(hub.app.getHttpServer().address() as AddressInfo).port}/admin/queues`;

  it('refuses a browser without the admin token', async () => {
    const page = await browser.newPage();
    // Chromium turns an unanswered Basic challenge into a navigation error, which is the refusal.
    await expect(page.goto(dashboardUrl())).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const response = await page.request.get(dashboardUrl());
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toMatch(/^Basic/);
    const wrong = await page.request.get(dashboardUrl(), { headers: { authorization: `Basic ${Buffer.from('admin:not-the-token').toString('base64')}` } });
    expect(wrong.status()).toBe(401);
    await page.close();
  });

  it('shows the deliveries queue and its completed jobs to an admin', async () => {
    await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.*'] });
    await ingestBridgeEvent(hub, 'message.received', { id: 'dash-1' });
    expect(await waitFor(async () => sink.received.length === 1, 5_000)).toBe(true);

    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN_TOKEN } });
    const page = await context.newPage();
    const response = await page.goto(dashboardUrl());
    expect(response?.status()).toBe(200);
    await page.getByText('deliveries', { exact: false }).first().waitFor({ timeout: 15_000 });
    await page.goto(`${dashboardUrl()}/queue/deliveries?status=completed`);
    // The completed delivery job is listed under its id, which is the delivery id.
    const delivery = (await admin(hub).get('/api/v1/deliveries?limit=1')).body.data[0];
    await page.getByText(delivery.id.slice(0, 20), { exact: false }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(tmpdir(), 'hub-queue-dashboard.png') });
    await context.close();
  });

  it('accepts the bearer token too (API clients)', async () => {
    const res = await hub.http().get('/admin/queues/api/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('deliveries');
  });
});
