import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { ADMIN_TOKEN, TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(90_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, 'artifacts', 'admin-console');

/**
 * The ops console at /admin in a real browser: what came in, what failed, what waits for a human,
 * and acting on it from the page alone (forms, no JavaScript).
 */
describe('ops console (/admin) in a real browser', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const adapter = process.env.HTTP_ADAPTER ?? 'express';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    hub = await startHub('console', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    sink = await new HttpSink().start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN }, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await sink?.stop();
    await hub?.close();
  });

  const base = () => `http://127.0.0.1:${(hub.app.getHttpServer().address() as AddressInfo).port}`;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${adapter}-${name}.png`), fullPage: true });

  it('refuses a wrong password with 401 and a Basic challenge', async () => {
    const other = await browser.newContext({ httpCredentials: { username: 'ops', password: 'not-the-token' } });
    const response = await other.request.get(`${base()}/admin`);
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toMatch(/^Basic/);
    expect(await response.text()).not.toContain('Endpoints');
    await other.close();
  });

  it('shows sources and endpoints; a failing delivery becomes a dead letter on the page, and a redrive from the page delivers it', async () => {
    sink.reply = () => ({ status: 500, body: 'receiver down' });
    const sub = await admin(hub).post('/api/v1/subscriptions', { url: sink.url('/orders'), events: ['whatsapp.*'], retrySchedule: [0] });
    expect(sub.status).toBe(201);
    const eventId = await ingestBridgeEvent(hub, 'message.received', { id: 'console-1', text: 'hello <b>console</b>' });
    expect(await waitFor(async () => (await admin(hub).get('/api/v1/dead-letters')).body.data.length === 1, 20_000)).toBe(true);

    await page.goto(`${base()}/admin`);
    expect(await page.title()).toMatch(/webhook hub/);
    const sources = page.locator('section[aria-labelledby="sources"]');
    await expect(sources.locator('tr', { hasText: 'whatsapp' }).textContent()).resolves.toMatch(/configured/);
    const endpoints = page.locator('section[aria-labelledby="endpoints"]');
    expect(await endpoints.textContent()).toContain(sink.url('/orders'));
    const dead = page.locator('section[aria-labelledby="dead-letters"]');
    expect(await dead.textContent()).toMatch(/Dead letters \(1\)/);
    expect(await dead.textContent()).toContain('HTTP 500');
    // Event data is shown as text, never as markup.
    await page.goto(`${base()}/admin/events/${eventId}`);
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.textContent('main')).toContain('attempt');
    await page.goto(`${base()}/admin`);
    await shot('dead-letter');

    sink.reply = () => ({ status: 200 });
    const before = sink.received.length;
    await dead.getByRole('button', { name: 'Redrive', exact: true }).click();
    await page.waitForURL(/notice=/);
    expect(await page.textContent('[role="status"]')).toMatch(/redriven 1 of 1/);
    expect(await waitFor(async () => sink.received.length > before && sink.received.at(-1)!.body.includes('console-1'), 20_000)).toBe(true);
    expect(await waitFor(async () => (await admin(hub).get('/api/v1/dead-letters')).body.data.length === 0, 20_000)).toBe(true);
    await page.goto(`${base()}/admin`);
    expect(await page.locator('section[aria-labelledby="dead-letters"]').textContent()).toContain('No dead letters');
  });

  it('approves a pending approval from the page, and its action runs', async () => {
    const response = await admin(hub).post('/api/v1/actions/send_webhook_response', { response_url: sink.url('/responses'), response_data: { order: 7 }, response_type: 'success', client_id: 'client-console' });
    expect(response.status).toBeLessThan(300);
    const approvalId = response.body.approval_id as string;
    // A fresh load (a hash-only change would keep the page loaded before the approval existed).
    await page.goto(`${base()}/admin?reload=${Date.now()}#approvals`);
    const row = page.locator('section[aria-labelledby="approvals"] tr', { hasText: approvalId });
    expect(await row.textContent()).toMatch(/pending/);
    await shot('approval-pending');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/notice=/);
    expect(await page.textContent('[role="status"]')).toContain(`approved ${approvalId}`);
    expect(await waitFor(async () => sink.received.some((r) => r.path === '/responses' && r.body.includes('"order":7')), 20_000)).toBe(true);
    expect((await admin(hub).get(`/api/v1/approvals/${approvalId}`)).body).toMatchObject({ status: 'approved', decision: { by: { channel: 'console' } } });
    // Deciding again is refused with the recorded decision, shown on the page, not a 500.
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    const again = await page.request.post(`${base()}/admin/approvals/${approvalId}/reject`, { form: { csrf: csrf! }, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect(new URL(again.headers().location, base()).searchParams.get('notice')).toMatch(/already approved by console/);
  });

  it('disables, enables, tests and rotates an endpoint from the page', async () => {
    await page.goto(`${base()}/admin?reload=${Date.now()}#endpoints`);
    const row = () => page.locator('section[aria-labelledby="endpoints"] tbody tr').first();
    await row().getByRole('button', { name: 'Disable' }).click();
    await page.waitForURL(/notice=/);
    expect(await row().textContent()).toMatch(/disabled: disabled from the console/);
    await row().getByRole('button', { name: 'Enable' }).click();
    await page.waitForURL(/notice=.*enabled/);
    await row().getByRole('button', { name: 'Send test' }).click();
    await page.waitForURL(/notice=.*test/);
    expect(await page.textContent('[role="status"]')).toMatch(/delivered, HTTP 200/);
    await row().getByRole('button', { name: 'Rotate secret' }).click();
    const secret = await page.locator('.secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await shot('overview');
  });

  it('refuses a form post without the console token or from another origin (CSRF)', async () => {
    const sub = (await admin(hub).get('/api/v1/subscriptions')).body.data[0];
    const noToken = await page.request.post(`${base()}/admin/endpoints/${sub.id}/disable`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const csrf = await (await page.goto(`${base()}/admin`), page.locator('input[name="csrf"]').first().getAttribute('value'));
    const crossSite = await page.request.post(`${base()}/admin/endpoints/${sub.id}/disable`, { form: { csrf: csrf! }, headers: { origin: 'http://evil.example' }, maxRedirects: 0 });
    expect(crossSite.status()).toBe(403);
    expect((await admin(hub).get(`/api/v1/subscriptions/${sub.id}`)).body.enabled).toBe(true);
    expect(hub.serverErrors).toEqual([]);
  });
});
