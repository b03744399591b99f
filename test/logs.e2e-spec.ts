import { randomBytes } from 'node:crypto';
import { startLoggedHub } from './utils/hub-process';
import { waitFor } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

jest.setTimeout(90_000);

const tag = randomBytes(6).toString('hex');
const SECRET = `logs-bridge-secret-${tag}`;
/** Signed with a key the hub does not hold: a well-formed signature that does not verify. */
const WRONG_KEY = `logs-wrong-key-${tag}`;
/** In the body of every refused request: a body must appear in no log line. */
const BODY_MARKER = `logs-body-${tag}`;
const WRONG_SIGNATURE_REASON = 'invalid X-Webhook-Signature signature';

/** A hub process (the compiled entry point) with its log in a file; stdout is a pipe, not a terminal. */
async function startHub(name: string, env: Record<string, string>) {
  const hub = await startLoggedHub(`test-logs-${name}-${tag}`, {
    HUB_ADMIN_TOKEN: `logs-admin-token-${tag}`,
    WHATSAPP_WEBHOOK_SECRET: SECRET,
    // Whatever the shell running the tests says: unset is auto (JSON here, stdout is a pipe).
    LOG_FORMAT: '',
    ...env,
  });
  return {
    ...hub,
    post: (path: string, headers: Record<string, string>, body: string) => fetch(`${hub.base}${path}`, { method: 'POST', headers, body }),
  };
}

type Hub = Awaited<ReturnType<typeof startHub>>;

async function stopHub(hub: Hub | undefined): Promise<void> {
  await hub?.cleanUp();
}

const bridgeBody = (n: number) => JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `${BODY_MARKER}-${n}`, text: BODY_MARKER } });

describe('logs people can read: JSON when stdout is not a terminal (LOG_LEVEL=info)', () => {
  let hub: Hub;
  const lines = () => hub.log().split('\n').filter((line) => line.trim() !== '');
  const records = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    hub = await startHub('json', {});
  });

  afterAll(() => stopHub(hub));

  it('writes JSON lines, without Nest route mapping and module init at info', async () => {
    expect(await waitFor(async () => records().some((r) => String(r.msg).startsWith('webhook hub (all) listening')), 10_000)).toBe(true);
    const all = records();
    expect(all.filter((r) => /Mapped \{|dependencies initialized/.test(String(r.msg)))).toEqual([]);
    expect(all.filter((r) => ['RoutesResolver', 'RouterExplorer', 'InstanceLoader'].includes(String(r.context)))).toEqual([]);
  });

  it('logs a WhatsApp bridge request with a wrong signature once at warn, with source, reason and request id', async () => {
    const body = bridgeBody(1);
    const signature = sha256Header(WRONG_KEY, body);
    const res = await hub.post('/webhooks/whatsapp', { 'content-type': 'application/json', 'x-webhook-signature': signature }, body);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe(WRONG_SIGNATURE_REASON);

    const refusals = () => records().filter((r) => r.level === 40 && r.source === 'whatsapp' && r.reason === WRONG_SIGNATURE_REASON);
    expect(await waitFor(async () => refusals().length > 0, 10_000)).toBe(true);
    const [refusal, ...others] = refusals();
    expect(others).toEqual([]);
    expect(refusal).toMatchObject({ context: 'WebhookAuthGuard', msg: `refused a whatsapp request: ${WRONG_SIGNATURE_REASON}` });
    expect(['number', 'string']).toContain(typeof refusal.requestId);

    // The access line of the same request names it by the same id, without its query, body or signature.
    const access = () => records().find((r) => r.msg === 'request completed' && r.requestId === refusal.requestId);
    expect(await waitFor(async () => access(), 10_000)).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/webhooks/whatsapp', headers: { 'x-webhook-signature': '[redacted]' } },
      res: { statusCode: 401 },
    });

    const log = hub.log();
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(signature.slice('sha256='.length));
    expect(log).not.toContain(BODY_MARKER);
  });

  it('logs the refusals counted after authentication (invalid JSON) and before it (415) at warn, without the body', async () => {
    const notJson = `{"event": ${BODY_MARKER}`;
    const invalid = await hub.post('/webhooks/whatsapp', { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, notJson) }, notJson);
    expect(invalid.status).toBe(400);
    const unsupported = await hub.post('/webhooks/whatsapp', { 'content-type': 'application/xml' }, `<event>${BODY_MARKER}</event>`);
    expect(unsupported.status).toBe(415);

    const warned = (reason: RegExp) => records().filter((r) => r.level === 40 && r.source === 'whatsapp' && reason.test(String(r.reason)) && r.requestId !== undefined);
    expect(await waitFor(async () => warned(/^invalid JSON$/).length === 1 && warned(/^Content-Type must be application\/json/).length === 1, 10_000)).toBe(true);
    expect(hub.log()).not.toContain(BODY_MARKER);
  });
});

describe('logs people can read: LOG_FORMAT=pretty', () => {
  let hub: Hub;
  const lines = () => hub.log().replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((line) => line.trim() !== '');

  beforeAll(async () => {
    hub = await startHub('pretty', { LOG_FORMAT: 'pretty' });
  });

  afterAll(() => stopHub(hub));

  it('writes one short line per record, not JSON, with the reason of a refusal', async () => {
    const body = bridgeBody(2);
    const signature = sha256Header(WRONG_KEY, body);
    const res = await hub.post('/webhooks/whatsapp', { 'content-type': 'application/json', 'x-webhook-signature': signature }, body);
    expect(res.status).toBe(401);

    const refusal = () => lines().find((line) => line.includes(WRONG_SIGNATURE_REASON));
    expect(await waitFor(async () => refusal(), 10_000)).toMatch(
      new RegExp(`^\\[[\\d:.]+\\] WARN: \\[WebhookAuthGuard\\] refused a whatsapp request: ${WRONG_SIGNATURE_REASON} requestId=\\S+$`),
    );
    expect(await waitFor(async () => lines().some((line) => / INFO: request completed POST \/webhooks\/whatsapp 401 \(\d+ ms\) requestId=/.test(line)), 10_000)).toBe(true);

    const all = lines();
    expect(all.filter((line) => line.trimStart().startsWith('{'))).toEqual([]);
    expect(all.filter((line) => /Mapped \{|dependencies initialized/.test(line))).toEqual([]);
    const log = hub.log();
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(signature.slice('sha256='.length));
    expect(log).not.toContain(BODY_MARKER);
  });
});
