import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { REDIS_URL, deleteKeys, fixture, freePort, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { FakeDigitalSamba } from './utils/fake-digital-samba';
import { FakeTelegramBotApi, callbackQueryUpdate } from './utils/fake-telegram-bot-api';
import { loadDelivery } from './utils/fixture-delivery';
import { sha256Header } from './utils/signatures';
import Redis from 'ioredis';

jest.setTimeout(60_000);

/** The compiled hub (npm test builds it first, see "pretest"). */
const MAIN = join(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'main.js');
const tag = randomBytes(6).toString('hex');
const secret = (name: string) => `${name.toLowerCase().replace(/_/g, '-')}-${tag}`;

/** Every secret the hub is given or handed, each a distinctive string that must appear in no log line. */
const ENV_SECRETS = {
  HUB_ADMIN_TOKEN: secret('HUB_ADMIN_TOKEN'),
  WHATSAPP_APP_SECRET: secret('WHATSAPP_APP_SECRET'),
  WHATSAPP_WEBHOOK_SECRET: secret('WHATSAPP_WEBHOOK_SECRET'),
  WHATSAPP_VERIFY_TOKEN: secret('WHATSAPP_VERIFY_TOKEN'),
  DIGITAL_SAMBA_WEBHOOK_TOKEN: secret('DIGITAL_SAMBA_WEBHOOK_TOKEN'),
  DIGITAL_SAMBA_WEBHOOK_SECRET: secret('DIGITAL_SAMBA_WEBHOOK_SECRET'),
  MAKE_COM_API_KEY: secret('MAKE_COM_API_KEY'),
  MAKE_COM_WEBHOOK_SECRET: secret('MAKE_COM_WEBHOOK_SECRET'),
  TAVUS_WEBHOOK_SECRET: secret('TAVUS_WEBHOOK_SECRET'),
  TAVUS_WEBHOOK_TOKEN: secret('TAVUS_WEBHOOK_TOKEN'),
  CCTELEGRAM_WEBHOOK_SECRET: secret('CCTELEGRAM_WEBHOOK_SECRET'),
  TELEGRAM_SECRET_TOKEN: secret('TELEGRAM_SECRET_TOKEN'),
  // The bot token sits in every Bot API URL: a log line naming a URL would leak it.
  TELEGRAM_BOT_TOKEN: `424242:${secret('TELEGRAM_BOT_TOKEN')}`,
};
const APPROVAL_CHAT_ID = '-1009876543210';
/** A secret a caller passes to validate_webhook_signature (as secret_key): not logged either. */
const CALLER_SECRET_KEY = secret('CALLER_SECRET_KEY');
const SESSION_API_KEY = secret('X_DIGITALSAMBA_API_KEY');
const SUBSCRIPTION_SECRET = `whsec_${Buffer.from(`subscription-secret-${tag}-padding!`).toString('base64')}`;
/** A caller's wrong guess at a credential may be a real one with a typo: it is not logged either. */
const WRONG_GUESS = secret('WRONG_GUESS');

/**
 * The hub as an operator runs it (the built entry point, LOG_LEVEL=trace, every provider configured),
 * driven through every route that carries a credential, accepted and refused; then its whole
 * stdout and stderr are searched for each secret.
 */
describe('secrets never reach the logs (the built hub at LOG_LEVEL=trace)', () => {
  const prefix = `test-log-secrets-${tag}`;
  let hub: ChildProcess;
  let base: string;
  let logs = '';
  let sink: HttpSink;
  let fake: FakeDigitalSamba;
  let telegramApi: FakeTelegramBotApi;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    fake = await new FakeDigitalSamba([SESSION_API_KEY]).start();
    telegramApi = await new FakeTelegramBotApi(ENV_SECRETS.TELEGRAM_BOT_TOKEN).start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    hub = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        ...ENV_SECRETS,
        HUB_PREFIX: prefix,
        HUB_ROLE: 'all',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: base,
        LOG_LEVEL: 'trace',
        REDIS_URL,
        ALLOW_PRIVATE_TARGETS: 'true',
        DIGITAL_SAMBA_API_URL: fake.apiUrl,
        TELEGRAM_API_URL: telegramApi.url,
        TELEGRAM_APPROVAL_CHAT_ID: APPROVAL_CHAT_ID,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    hub.stdout!.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    hub.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    const up = await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, 20_000, 100);
    if (!up) throw new Error(`the hub did not start:\n${logs}`);
  });

  afterAll(async () => {
    if (hub.exitCode === null && hub.signalCode === null) {
      hub.kill('SIGTERM');
      await new Promise((resolve) => hub.once('exit', resolve));
    }
    await sink.stop();
    await fake.stop();
    await telegramApi.stop();
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `{${prefix}}:*`);
    redis.disconnect();
  });

  const post = (path: string, headers: Record<string, string>, body: string | Buffer) => fetch(`${base}${path}`, { method: 'POST', headers, body });
  const admin = (token = ENV_SECRETS.HUB_ADMIN_TOKEN) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  it('drives every credential-carrying route, accepted and refused', async () => {
    const statuses: Record<string, number> = {};
    const record = async (name: string, response: Promise<Response>) => {
      const res = await response;
      statuses[name] = res.status;
      await res.arrayBuffer();
    };

    // Subscriptions and their secret, rotation, test delivery, the dashboard.
    const created = await fetch(`${base}/api/v1/subscriptions`, {
      method: 'POST',
      headers: admin(),
      body: JSON.stringify({ url: sink.url(), events: ['*'], secret: SUBSCRIPTION_SECRET, headers: { 'X-Receiver-Key': ENV_SECRETS.HUB_ADMIN_TOKEN } }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await record('rotate', fetch(`${base}/api/v1/subscriptions/${id}/rotate-secret`, { method: 'POST', headers: admin(), body: JSON.stringify({ graceSeconds: 3600 }) }));
    await record('test', fetch(`${base}/api/v1/subscriptions/${id}/test`, { method: 'POST', headers: admin(), body: '{}' }));
    await record('wrongAdmin', fetch(`${base}/api/v1/events`, { headers: admin(WRONG_GUESS) }));
    await record('dashboard', fetch(`${base}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`ops:${ENV_SECRETS.HUB_ADMIN_TOKEN}`).toString('base64')}` } }));

    // WhatsApp: Meta signature, bridge signature, verify-token handshake (a query parameter).
    const meta = fixture('whatsapp', 'meta-text-message.json');
    await record('whatsappMeta', post('/webhooks/whatsapp', { 'content-type': 'application/json', 'x-hub-signature-256': sha256Header(ENV_SECRETS.WHATSAPP_APP_SECRET, meta) }, meta));
    const bridge = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `log-${tag}` } });
    await record('whatsappBridge', post('/webhooks/whatsapp', { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(ENV_SECRETS.WHATSAPP_WEBHOOK_SECRET, bridge) }, bridge));
    await record('handshake', fetch(`${base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${ENV_SECRETS.WHATSAPP_VERIFY_TOKEN}&hub.challenge=42`));
    await record('handshakeWrong', fetch(`${base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WRONG_GUESS}&hub.challenge=42`));

    // Digital Samba: static bearer token, and the document's HMAC.
    const samba = loadDelivery('digitalsamba', 'platform-session-ended', { token: ENV_SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN });
    await record('samba', post('/webhooks/digitalsamba', samba.headers, samba.body));
    await record('sambaWrong', post('/webhooks/digitalsamba', { ...samba.headers, Authorization: `Bearer ${WRONG_GUESS}` }, samba.body));

    // Make.com: API key and signature.
    const make = loadDelivery('makecom', 'signed-update-client', { apikey: ENV_SECRETS.MAKE_COM_API_KEY, secret: ENV_SECRETS.MAKE_COM_WEBHOOK_SECRET });
    await record('makecom', post('/api/webhook/make.com/chatgpt-clients', make.headers, make.body));
    await record('makecomWrong', post('/api/webhook/make.com/chatgpt-clients', { ...make.headers, 'x-make-apikey': WRONG_GUESS }, make.body));

    // Tavus: signature, and the token in the callback URL.
    const tavus = loadDelivery('tavus', 'doc-conversation-ended', { secret: ENV_SECRETS.TAVUS_WEBHOOK_SECRET });
    await record('tavus', post('/api/tavus/webhook', tavus.headers, tavus.body));
    const shutdown = loadDelivery('tavus', 'real-system-shutdown');
    await record('tavusToken', post(`/api/tavus/webhook?t=${ENV_SECRETS.TAVUS_WEBHOOK_TOKEN}`, shutdown.headers, shutdown.body));
    await record('tavusStats', fetch(`${base}/api/tavus/webhook?t=${ENV_SECRETS.TAVUS_WEBHOOK_TOKEN}`));

    // CCTelegram (signature over body, timestamp window) and the Bot API secret token.
    const cct = JSON.stringify({ webhook_type: 'event_processed', timestamp: new Date().toISOString(), event: { id: `cct-${tag}`, type: 'task_completion', title: 'Build Complete', description: 'done', status: 'delivered' } });
    const cctHeaders = { 'content-type': 'application/json', 'x-cctelegram-signature': `sha256=${createHmac('sha256', ENV_SECRETS.CCTELEGRAM_WEBHOOK_SECRET).update(cct).digest('hex')}`, 'x-cctelegram-timestamp': String(Math.floor(Date.now() / 1000)) };
    await record('cctelegram', post('/webhook/events', cctHeaders, cct));
    const telegram = loadDelivery('telegram', 'reference-message');
    await record('telegram', post('/webhooks/telegram', { ...telegram.headers, 'X-Telegram-Bot-Api-Secret-Token': ENV_SECRETS.TELEGRAM_SECRET_TOKEN }, telegram.body));
    await record('telegramWrong', post('/webhooks/telegram', { ...telegram.headers, 'X-Telegram-Bot-Api-Secret-Token': WRONG_GUESS }, telegram.body));

    // Workflows: an approval sent to Telegram and decided by its button (the Bot API calls carry the
    // bot token in their URL), one Bot API call that fails, and a signature check with a caller's secret.
    const asked = await fetch(`${base}/api/v1/actions/send_webhook_response`, { method: 'POST', headers: admin(), body: JSON.stringify({ response_url: sink.url('/response'), response_data: { ok: true }, client_id: 'c' }) });
    const { approval_id: approvalId } = (await asked.json()) as { approval_id: string };
    const sent = await telegramApi.waitForCall('sendMessage', (b) => JSON.stringify(b).includes(approvalId));
    const messageId = [...telegramApi.messages.values()].find((m) => String(m.text).includes(approvalId))?.message_id as number;
    telegramApi.failNext(1, 401);
    const pressed = callbackQueryUpdate({ updateId: 77, callbackQueryId: `cq-${tag}`, data: `approve_${approvalId}`, chatId: Number(APPROVAL_CHAT_ID), messageId });
    await record('telegramButton', post('/webhooks/telegram', { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': ENV_SECRETS.TELEGRAM_SECRET_TOKEN }, JSON.stringify(pressed)));
    expect(sent.body.chat_id).toBe(APPROVAL_CHAT_ID);
    await telegramApi.waitForCall('editMessageText', () => true);
    await record('validateSignature', fetch(`${base}/api/v1/actions/validate_webhook_signature`, { method: 'POST', headers: admin(), body: JSON.stringify({ webhook_data: '{}', signature: `sha256=${'0'.repeat(64)}`, secret_key: CALLER_SECRET_KEY }) }));

    // MCP with the admin token and a per-session Digital Samba API key that reaches the (fake) platform.
    const client = new Client({ name: 'log-secrets', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${ENV_SECRETS.HUB_ADMIN_TOKEN}`, 'X-DigitalSamba-Api-Key': SESSION_API_KEY } },
    });
    await client.connect(transport);
    const listed = await client.callTool({ name: 'list-webhooks', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(fake.log.some((r) => r.authorization === `Bearer ${SESSION_API_KEY}`)).toBe(true);
    await transport.terminateSession().catch(() => undefined);
    await client.close();

    // Deliveries go out signed with the subscription's secret (both, during the rotation grace).
    expect(await waitFor(async () => sink.received.length >= 3 && sink.received.some((r) => r.path === '/response'), 10_000)).toBe(true);

    expect(statuses).toMatchObject({
      rotate: 200, test: 200, wrongAdmin: 401, dashboard: 200, whatsappMeta: 200, whatsappBridge: 202, handshake: 200, handshakeWrong: 403,
      samba: 202, sambaWrong: 401, makecom: 200, makecomWrong: 401, tavus: 202, tavusToken: 202, tavusStats: 200, cctelegram: 200, telegram: 202, telegramWrong: 401,
      telegramButton: 202, validateSignature: 200,
    });
  });

  it('logged the traffic, and not one secret', async () => {
    hub.kill('SIGTERM');
    await new Promise((resolve) => hub.once('exit', resolve));
    // The test can fail: trace logging saw the requests, with their headers (redacted where secret).
    const requests = logs.split('\n').filter((line) => line.includes('"req":{'));
    for (const path of ['/webhooks/digitalsamba', '/api/tavus/webhook', '/api/v1/subscriptions', '/webhooks/telegram', '/mcp']) {
      expect(requests.some((line) => line.includes(`"url":"${path}"`))).toBe(true);
    }
    expect(requests.some((line) => line.includes('"authorization":"[redacted]"'))).toBe(true);
    // The failed Bot API call was logged, without its URL.
    expect(logs).toMatch(/Telegram \w+: Unauthorized/);
    const secrets = { ...ENV_SECRETS, TELEGRAM_BOT_SECRET_PART: ENV_SECRETS.TELEGRAM_BOT_TOKEN.split(':')[1], CALLER_SECRET_KEY, SESSION_API_KEY, SUBSCRIPTION_SECRET, SUBSCRIPTION_SECRET_BYTES: SUBSCRIPTION_SECRET.slice('whsec_'.length), WRONG_GUESS };
    const leaked = Object.entries(secrets)
      .filter(([, value]) => logs.includes(value))
      .map(([name, value]) => `${name}: ${logs.split('\n').find((line) => line.includes(value))?.slice(0, 400)}`);
    expect(leaked).toEqual([]);
  });
});
