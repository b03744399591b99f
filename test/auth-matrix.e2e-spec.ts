import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';
import { recordReliability } from './utils/reliability-report';

jest.setTimeout(60_000);

/**
 * Issue 12 (hardening): an authentication matrix over every operation the OpenAPI document lists, plus
 * the routes it does not (Bull Board, /docs). Every protected route is sent wrong, altered, misplaced,
 * empty and oversized credentials and must answer 401 (403 for the WhatsApp handshake, as documented),
 * never 2xx and never 5xx, without echoing a secret; every ingress route refused this way must store
 * nothing. The set of routes that answer without credentials must be exactly the documented public set.
 */

const SECRETS = {
  WHATSAPP_APP_SECRET: 'am-wa-app-secret-6f2b9c1e8d',
  WHATSAPP_WEBHOOK_SECRET: 'am-wa-bridge-secret-3c7a5e0b94',
  WHATSAPP_VERIFY_TOKEN: 'am-wa-verify-token-8e1d4f27',
  DIGITAL_SAMBA_WEBHOOK_TOKEN: 'am-ds-token-0b5e9a3c71f4',
  DIGITAL_SAMBA_WEBHOOK_SECRET: 'am-ds-hmac-secret-4d8c2a6e19',
  MAKE_COM_API_KEY: 'am-make-api-key-7a3f1c9e52',
  MAKE_COM_WEBHOOK_SECRET: 'am-make-hmac-secret-2e6b8d0f47',
  TAVUS_WEBHOOK_TOKEN: 'am-tavus-url-token-5c9e1a7b30',
  TAVUS_WEBHOOK_SECRET: 'am-tavus-hmac-secret-9b3d7f1c65',
  CCTELEGRAM_WEBHOOK_SECRET: 'am-cctg-hmac-secret-1f5a9c3e87',
  TELEGRAM_SECRET_TOKEN: 'am-tg_secret-token_6d0b4f82',
} as const;
const SECRET_VALUES = [ADMIN_TOKEN, ...Object.values(SECRETS)];

/** Documented as served without credentials (README "HTTP interface": auth "none"). */
const PUBLIC_OPERATIONS = ['GET /health', 'GET /health/ready', 'GET /metrics', 'GET /api/status', 'GET /api/tavus/webhook'];
/** Public routes the document does not list itself. */
const PUBLIC_UNDOCUMENTED = ['/docs', '/docs/json'];
/** Each provider's ingress operations, verified by the provider's own scheme (README, ARCHITECTURE §3.2). */
const INGRESS_OPERATIONS = [
  'POST /webhooks/digitalsamba', 'POST /api/webhook/make.com/{scenario}', 'POST /api/tavus/webhook', 'POST /webhooks/whatsapp',
  'POST /webhook/events', 'POST /webhook/responses', 'POST /webhook/health', 'POST /webhooks/telegram',
];
/** Meta's subscription handshake: a wrong hub.verify_token answers 403 (README). */
const HANDSHAKE_OPERATIONS = ['GET /webhooks/whatsapp'];
/** Admin-protected routes the OpenAPI document lists without a `security` entry (README: bearer). */
const ADMIN_WITHOUT_SECURITY_ENTRY = ['POST /mcp', 'GET /mcp', 'DELETE /mcp'];
/** Bull Board: not in the document; Basic (admin token as password) or bearer. */
const DASHBOARD_ROUTES: [string, string][] = [
  ['GET', '/admin/queues'], ['GET', '/admin/queues/api/queues'], ['PUT', '/admin/queues/api/queues/deliveries/retry/failed'],
  // The ops console's pages (not in the OpenAPI document); its form posts also need the form token,
  // tested in admin-console.e2e-spec.ts.
  ['GET', '/admin'], ['GET', '/admin/events/evt_01M89PDKDMF1VE3FQ6SRP70R8W'],
];

const UNKNOWN = {
  subscription: 'sub_01M89PDKDBVWKY38BT0TR863KS',
  event: 'evt_01M89PDKDMF1VE3FQ6SRP70R8W',
  delivery: 'dlv_01M89PDKDMF1VE3FQ6SRP70R8W_01M89PDKDBVWKY38BT0TR863KS',
  approval: 'apr_01M89PDKDBVWKY38BT0TR863KS',
  video: 'vid_01M89PDKDBVWKY38BT0TR863KS',
  conversation: 'c_auth_matrix_unknown',
  extraction: 'kg_01M89PDKDBVWKY38BT0TR863KS',
  client: 'client-auth-matrix-unknown',
};

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
  body: unknown;
}

interface Operation {
  method: string;
  path: string;
  key: string;
  security: unknown;
}

/** One character of `value` changed (the last one), so it differs only at the end. */
function oneCharChanged(value: string): string {
  const last = value[value.length - 1];
  return value.slice(0, -1) + (last === 'x' ? 'y' : 'x');
}

function basic(user: string, password?: string): string {
  return `Basic ${Buffer.from(password === undefined ? user : `${user}:${password}`).toString('base64')}`;
}

const hmacHex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
const LONG = 'A'.repeat(10 * 1024);

describe('authentication matrix over every route', () => {
  let hub: TestHub;
  let partial: TestHub;
  const operations: Operation[] = [];
  let documentPaths = 0;
  let tries = 0;
  let fiveHundreds = 0;
  /** Every wrong credential that got a 2xx or stored something, over the whole suite (for the figures). */
  const letIn: string[] = [];
  /** This test's other failures. */
  const problems: string[] = [];
  let letInMark = 0;
  beforeEach(() => {
    problems.length = 0;
    letInMark = letIn.length;
  });
  const letInHere = () => letIn.slice(letInMark);

  beforeAll(async () => {
    // Gateway only: no worker appends events of its own (hub.alert, tool results) while the stream length is compared.
    hub = await startHub('auth-matrix', { HUB_ROLE: 'gateway', ...SECRETS });
    // Each two-scheme provider with one scheme's secret unset: the refusal must not tell which.
    partial = await startHub('auth-matrix-partial', {
      HUB_ROLE: 'gateway',
      DIGITAL_SAMBA_WEBHOOK_TOKEN: SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN,
      MAKE_COM_API_KEY: SECRETS.MAKE_COM_API_KEY,
      TAVUS_WEBHOOK_TOKEN: SECRETS.TAVUS_WEBHOOK_TOKEN,
      WHATSAPP_APP_SECRET: SECRETS.WHATSAPP_APP_SECRET,
    });
    const doc = await hub.http().get('/docs/json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, { security?: unknown }>>;
    documentPaths = Object.keys(paths).length;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
        operations.push({ method: method.toUpperCase(), path, key: `${method.toUpperCase()} ${path}`, security: op.security });
      }
    }
  });
  afterAll(async () => {
    await partial?.close();
    await hub?.close();
  });

  async function send(target: TestHub, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    tries++;
    let test = (target.http() as unknown as Record<string, (p: string) => any>)[method.toLowerCase()](path);
    for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
    if (body !== undefined) {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) test = test.set('Content-Type', 'application/json');
      test = test.send(body);
    }
    const res = await test;
    if (res.status >= 500) {
      fiveHundreds++;
      problems.push(`${method} ${path} ${JSON.stringify(redact(headers))} -> ${res.status} ${String(res.text).slice(0, 200)}`);
    }
    return { status: res.status, text: String(res.text ?? ''), headers: res.headers as Record<string, string>, body: res.body };
  }

  /** A configured secret or the admin token anywhere in the answer (body or headers). */
  function leaked(answer: Answer): string[] {
    const haystack = answer.text + JSON.stringify(answer.headers);
    return SECRET_VALUES.filter((secret) => haystack.includes(secret));
  }

  /** The checks every refused request must pass. */
  function expectRefused(what: string, answer: Answer, allowed: number[]): void {
    if (answer.status >= 200 && answer.status < 300) letIn.push(`${what} -> ${answer.status} ${answer.text.slice(0, 200)}`);
    if (!allowed.includes(answer.status)) problems.push(`${what} -> ${answer.status} (expected ${allowed.join(' or ')}) ${answer.text.slice(0, 200)}`);
    const secrets = leaked(answer);
    if (secrets.length) problems.push(`${what} -> the answer contains a configured secret (${secrets.map((s) => s.slice(0, 6) + '…').join(', ')})`);
  }

  function fill(path: string): string {
    return path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name === 'scenario') return 'chatgpt-clients';
      if (name === 'extractionId') return UNKNOWN.extraction;
      if (name === 'clientId') return UNKNOWN.client;
      if (path.startsWith('/api/v1/subscriptions')) return UNKNOWN.subscription;
      if (path.startsWith('/api/v1/events')) return UNKNOWN.event;
      if (path.startsWith('/api/v1/deliveries')) return UNKNOWN.delivery;
      if (path.startsWith('/api/v1/approvals')) return UNKNOWN.approval;
      if (path.startsWith('/api/v1/tavus/videos')) return UNKNOWN.video;
      if (path.startsWith('/api/v1/tavus/conversations')) return UNKNOWN.conversation;
      return 'unknown-param-auth-matrix';
    });
  }

  const hasBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);
  const classify = (op: Operation): 'public' | 'ingress' | 'handshake' | 'admin' | 'unclassified' => {
    if (PUBLIC_OPERATIONS.includes(op.key)) return 'public';
    if (INGRESS_OPERATIONS.includes(op.key)) return 'ingress';
    if (HANDSHAKE_OPERATIONS.includes(op.key)) return 'handshake';
    if (JSON.stringify(op.security ?? []).includes('"bearer"') || ADMIN_WITHOUT_SECURITY_ENTRY.includes(op.key)) return 'admin';
    return 'unclassified';
  };
  const adminOperations = () => operations.filter((op) => classify(op) === 'admin');

  it('classifies every operation of the document, and only the documented public set answers without credentials', async () => {
    expect(operations.length).toBeGreaterThan(40);
    const unclassified = operations.filter((op) => classify(op) === 'unclassified').map((op) => op.key);
    expect(unclassified).toEqual([]);
    for (const key of [...PUBLIC_OPERATIONS, ...INGRESS_OPERATIONS, ...HANDSHAKE_OPERATIONS, ...ADMIN_WITHOUT_SECURITY_ENTRY]) {
      expect(operations.map((op) => op.key)).toContain(key);
    }
    // The ops API is admin-only: every /api/v1 operation must be in the bearer-protected class.
    expect(operations.filter((op) => op.path.startsWith('/api/v1/') && classify(op) !== 'admin').map((op) => op.key)).toEqual([]);

    const openWithoutCredentials: string[] = [];
    for (const op of operations) {
      const answer = await send(hub, op.method, fill(op.path), {}, hasBody(op.method) ? '{}' : undefined);
      if (![401, 403].includes(answer.status)) openWithoutCredentials.push(op.key);
      if (classify(op) === 'public') {
        expect(answer.status).toBe(200);
        expect(leaked(answer)).toEqual([]);
      }
    }
    expect(openWithoutCredentials.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
    for (const path of PUBLIC_UNDOCUMENTED) {
      const answer = await send(hub, 'GET', path);
      expect(answer.status).toBe(200);
      expect(leaked(answer)).toEqual([]);
    }
    for (const [method, path] of DASHBOARD_ROUTES) {
      expect((await send(hub, method, path)).status).toBe(401);
    }
  });

  /** What each protected request is sent instead of the admin token. */
  const wrongCredentials = (): [string, Record<string, string>, string?][] => [
    ['no credentials', {}],
    ['Bearer <wrong token>', { Authorization: 'Bearer wrong-admin-token-0123456789abcdef' }],
    ['Bearer <admin token, last character changed>', { Authorization: `Bearer ${oneCharChanged(ADMIN_TOKEN)}` }],
    ['Bearer <admin token, first character changed>', { Authorization: `Bearer X${ADMIN_TOKEN.slice(1)}` }],
    ['Bearer <admin token without its last character>', { Authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['Bearer <admin token plus one character>', { Authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['Bearer <admin token> <admin token>', { Authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}` }],
    ['Bearer <admin token uppercased>', { Authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }],
    ['Basic admin:<wrong password>', { Authorization: basic('admin', 'not-the-admin-token-000') }],
    ['Basic <admin token> as the user name', { Authorization: basic(ADMIN_TOKEN, '') }],
    ['Basic <admin token> without a colon', { Authorization: basic(ADMIN_TOKEN) }],
    ['Token <admin token>', { Authorization: `Token ${ADMIN_TOKEN}` }],
    ['<admin token> with no scheme', { Authorization: ADMIN_TOKEN }],
    ['BearerX<admin token>', { Authorization: `Bearer${ADMIN_TOKEN}` }],
    ['empty Bearer', { Authorization: 'Bearer ' }],
    ['empty Authorization', { Authorization: '' }],
    ['Bearer of 10 KB', { Authorization: `Bearer ${LONG}` }],
    ['Bearer <a provider secret>', { Authorization: `Bearer ${SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN}` }],
    ['X-Api-Key: <admin token>', { 'X-Api-Key': ADMIN_TOKEN }],
    ['Cookie token=<admin token>', { Cookie: `token=${ADMIN_TOKEN}; access_token=${ADMIN_TOKEN}` }],
    ['?token=<admin token>', {}, `token=${ADMIN_TOKEN}`],
    ['?access_token=<admin token>', {}, `access_token=${ADMIN_TOKEN}`],
  ];

  const withQuery = (path: string, query?: string) => (query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path);

  it('refuses every wrong admin credential on every admin operation and the dashboard, and lets the admin token in', async () => {
    const targets: [string, string][] = [...adminOperations().map((op): [string, string] => [op.method, fill(op.path)]), ...DASHBOARD_ROUTES];
    expect(targets.length).toBeGreaterThan(40);
    for (const [method, path] of targets) {
      const dashboard = path === '/admin' || path.startsWith('/admin/');
      for (const [label, headers, query] of wrongCredentials()) {
        const answer = await send(hub, method, withQuery(path, query), headers, hasBody(method) ? '{}' : undefined);
        expectRefused(`${method} ${path} with ${label}`, answer, [401]);
        // The hub's error shape; /mcp answers a JSON-RPC error instead, as MCP clients expect.
        const body = answer.body as { statusCode?: number; error?: { code?: number } };
        const shaped = path === '/mcp' ? typeof body?.error?.code === 'number' : body?.statusCode === 401;
        if (answer.status === 401 && !dashboard && !shaped) problems.push(`${method} ${path} with ${label}: unexpected 401 body ${answer.text.slice(0, 200)}`);
      }
      // Basic with the admin token as password is the dashboard's browser login, and nothing else's.
      const basicRight = await send(hub, method, path, { Authorization: basic('admin', ADMIN_TOKEN) }, hasBody(method) ? '{}' : undefined);
      if (dashboard) {
        if ([401, 403].includes(basicRight.status) || basicRight.status >= 500) problems.push(`${method} ${path} refused Basic admin:<admin token> -> ${basicRight.status}`);
      } else {
        expectRefused(`${method} ${path} with Basic admin:<admin token> (wrong scheme)`, basicRight, [401]);
      }
      const right = await send(hub, method, path, { Authorization: `Bearer ${ADMIN_TOKEN}` }, hasBody(method) ? '{}' : undefined);
      if ([401, 403].includes(right.status) || right.status >= 500) problems.push(`${method} ${path} with the admin token -> ${right.status} ${right.text.slice(0, 200)}`);
      if (!dashboard && leaked(right).some((s) => s !== ADMIN_TOKEN)) problems.push(`${method} ${path} with the admin token -> the answer contains a provider secret`);
    }
    expect(letInHere()).toEqual([]);
    expect(problems).toEqual([]);
  });

  /* ---------------- ingress: each provider's own scheme ---------------- */

  let serial = 0;
  const unique = () => `${Date.now().toString(36)}-${++serial}`;
  const now = () => String(Math.floor(Date.now() / 1000));
  const json = { 'Content-Type': 'application/json' };

  interface IngressCase {
    label: string;
    path: string;
    headers: Record<string, string>;
    body: string;
  }

  /** A valid, never-seen payload for each ingress route: a wrongly accepted request would be stored. */
  const bodies: Record<string, () => string> = {
    digitalsamba: () => `{"event":"participant.joined","timestamp":"2025-05-19T10:01:30Z","data":{"room_id":"room-am","session_id":"s-am","participant_id":"p-${unique()}","name":"Ada"}}`,
    makecom: () => `{"client_id":"client-am-${unique()}","action_id":"get_client_data","task":{"id":"task-${unique()}","name":"Auth matrix task"}}`,
    tavus: () => `{"event_type":"conversation.message","conversation_id":"conv-am-${unique()}","message":{"id":"msg-${unique()}","role":"user","content":"hi","timestamp":"2024-01-15T10:31:00Z"}}`,
    whatsappMeta: () =>
      `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Ada"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.AM-${unique()}","timestamp":"1749416383","type":"text","text":{"body":"hi"}}]},"field":"messages"}]}]}`,
    whatsappBridge: () => `{"event":"message.received","timestamp":${Date.now()},"data":{"id":"am-${unique()}","from":"16505551234","body":"hi"}}`,
    ccEvents: () => `{"webhook_type":"event_processed","timestamp":"2025-01-15T10:30:00.000Z","event":{"id":"evt_am_${unique()}","type":"task_completion","source":"claude-code","title":"Build","status":"delivered"}}`,
    ccResponses: () => `{"webhook_type":"user_response","timestamp":"2025-01-15T10:31:00.000Z","response":{"id":"resp_am_${unique()}","event_id":"evt_x","user":{"id":1,"username":"ada"},"message":{"id":1,"text":"Approve","chat_id":"-1001234567890"},"interaction_type":"callback_query","callback_data":"approve_am"}}`,
    ccHealth: () => `{"webhook_type":"health_update","timestamp":"${new Date(Date.now() - serial * 1000).toISOString()}","health":{"status":"healthy","checks":[],"uptime_seconds":${++serial}},"alert_type":"health_ok","alert_message":"ok ${unique()}"}`,
    telegram: () => `{"update_id":${700000000 + ++serial},"message":{"message_id":${serial},"from":{"id":111111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":111111111,"first_name":"Ada","type":"private"},"date":1750000000,"text":"am ${unique()}"}}`,
  };

  /** Credentials that must not open each ingress route (route, label, headers from the body, query). */
  function ingressCases(): IngressCase[] {
    const cases: IngressCase[] = [];
    const add = (path: string, make: () => string, list: [string, (body: string) => Record<string, string>, string?][]) => {
      for (const [label, headers, query] of list) {
        const body = make();
        cases.push({ label, path: withQuery(path, query), headers: { ...json, ...headers(body) }, body });
      }
    };
    const common = (): [string, (b: string) => Record<string, string>, string?][] => [
      ['no credentials', () => ({})],
      ['Bearer <admin token>', () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` })],
      ['?token=<admin token>', () => ({}), `token=${ADMIN_TOKEN}`],
    ];

    const ds = SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN;
    const dsSecret = SECRETS.DIGITAL_SAMBA_WEBHOOK_SECRET;
    add('/webhooks/digitalsamba', bodies.digitalsamba, [
      ...common(),
      ['Bearer <wrong token>', () => ({ Authorization: 'Bearer wrong-ds-token-000000000' })],
      ['Bearer <token, one character changed>', () => ({ Authorization: `Bearer ${oneCharChanged(ds)}` })],
      ['Bearer <token without its last character>', () => ({ Authorization: `Bearer ${ds.slice(0, -1)}` })],
      ['empty Bearer', () => ({ Authorization: 'Bearer ' })],
      ['Bearer of 10 KB', () => ({ Authorization: `Bearer ${LONG}` })],
      ['Basic x:<token>', () => ({ Authorization: basic('x', ds) })],
      ['Token <token>', () => ({ Authorization: `Token ${ds}` })],
      ['?token=<token> in the query', () => ({}), `token=${ds}`],
      ['?access_token=<token> in the query', () => ({}), `access_token=${ds}`],
      ['Bearer <the HMAC secret>', () => ({ Authorization: `Bearer ${dsSecret}` })],
      ['X-DigitalSamba-Signature of zeros', () => ({ 'X-DigitalSamba-Signature': `sha256=${'0'.repeat(64)}` })],
      ['X-DigitalSamba-Signature over other bytes', (b) => ({ 'X-DigitalSamba-Signature': sha256Header(dsSecret, b + ' ') })],
      ['X-DigitalSamba-Signature with the token as key', (b) => ({ 'X-DigitalSamba-Signature': sha256Header(ds, b) })],
      ['X-DigitalSamba-Signature, one hex digit changed', (b) => ({ 'X-DigitalSamba-Signature': oneCharChanged(sha256Header(dsSecret, b)) })],
      ['X-DigitalSamba-Signature of 10 KB', () => ({ 'X-DigitalSamba-Signature': LONG })],
      ['right Bearer beside a wrong signature', () => ({ Authorization: `Bearer ${ds}`, 'X-DigitalSamba-Signature': `sha256=${'a'.repeat(64)}` })],
      ['right signature beside a wrong Bearer', (b) => ({ Authorization: 'Bearer wrong-ds-token-000000000', 'X-DigitalSamba-Signature': sha256Header(dsSecret, b) })],
    ]);

    const key = SECRETS.MAKE_COM_API_KEY;
    const makeSecret = SECRETS.MAKE_COM_WEBHOOK_SECRET;
    add('/api/webhook/make.com/chatgpt-clients', bodies.makecom, [
      ...common(),
      ['x-make-apikey <wrong>', () => ({ 'x-make-apikey': 'wrong-make-key-0000000000' })],
      ['x-make-apikey <key, one character changed>', () => ({ 'x-make-apikey': oneCharChanged(key) })],
      ['x-make-apikey <key plus one character>', () => ({ 'x-make-apikey': `${key}x` })],
      ['empty x-make-apikey', () => ({ 'x-make-apikey': '' })],
      ['x-make-apikey of 10 KB', () => ({ 'x-make-apikey': LONG })],
      ['Bearer <api key>', () => ({ Authorization: `Bearer ${key}` })],
      ['?x-make-apikey=<key> in the query', () => ({}), `x-make-apikey=${key}`],
      ['?apikey=<key> in the query', () => ({}), `apikey=${key}`],
      ['x-make-apikey <the HMAC secret>', () => ({ 'x-make-apikey': makeSecret })],
      ['x-make-apikey <admin token>', () => ({ 'x-make-apikey': ADMIN_TOKEN })],
      ['X-Hub-Signature-256 of zeros', () => ({ 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` })],
      ['X-Hub-Signature-256 over other bytes', (b) => ({ 'X-Hub-Signature-256': sha256Header(makeSecret, b + ' ') })],
      ['X-Hub-Signature-256 with the api key as key', (b) => ({ 'X-Hub-Signature-256': sha256Header(key, b) })],
      ['X-Hub-Signature-256 without its sha256= prefix', (b) => ({ 'X-Hub-Signature-256': hmacHex(makeSecret, b) })],
      ['X-Hub-Signature-256 as sha1=<right digest>', (b) => ({ 'X-Hub-Signature-256': `sha1=${hmacHex(makeSecret, b)}` })],
      ['right api key beside a wrong signature', () => ({ 'x-make-apikey': key, 'X-Hub-Signature-256': `sha256=${'b'.repeat(64)}` })],
      ['right signature beside a wrong api key', (b) => ({ 'x-make-apikey': 'wrong-make-key-0000000000', 'X-Hub-Signature-256': sha256Header(makeSecret, b) })],
    ]);

    const t = SECRETS.TAVUS_WEBHOOK_TOKEN;
    const tavusSecret = SECRETS.TAVUS_WEBHOOK_SECRET;
    add('/api/tavus/webhook', bodies.tavus, [
      ...common(),
      ['?t=<wrong>', () => ({}), 't=wrong-tavus-token-00000000'],
      ['?t=<token, one character changed>', () => ({}), `t=${oneCharChanged(t)}`],
      ['?t=<token without its last character>', () => ({}), `t=${t.slice(0, -1)}`],
      ['empty ?t=', () => ({}), 't='],
      ['?t= of 10 KB', () => ({}), `t=${LONG}`],
      ['?t=<wrong>&t=<token>', () => ({}), `t=wrong-tavus-token-00000000&t=${t}`],
      ['?token=<token> (wrong parameter)', () => ({}), `token=${t}`],
      ['?T=<token> (wrong case)', () => ({}), `T=${t}`],
      ['Bearer <token>', () => ({ Authorization: `Bearer ${t}` })],
      ['?t=<the HMAC secret>', () => ({}), `t=${tavusSecret}`],
      ['?t=<admin token>', () => ({}), `t=${ADMIN_TOKEN}`],
      ['x-tavus-signature of zeros', () => ({ 'x-tavus-signature': `sha256=${'0'.repeat(64)}` })],
      ['tavus-signature of zeros', () => ({ 'tavus-signature': `sha256=${'0'.repeat(64)}` })],
      ['x-tavus-signature over other bytes', (b) => ({ 'x-tavus-signature': sha256Header(tavusSecret, b + ' ') })],
      ['x-tavus-signature with the URL token as key', (b) => ({ 'x-tavus-signature': sha256Header(t, b) })],
      ['x-tavus-signature of 10 KB', () => ({ 'x-tavus-signature': LONG })],
      ['right ?t= beside a wrong signature', () => ({ 'x-tavus-signature': `sha256=${'c'.repeat(64)}` }), `t=${t}`],
      ['right signature beside a wrong ?t=', (b) => ({ 'x-tavus-signature': sha256Header(tavusSecret, b) }), 't=wrong-tavus-token-00000000'],
    ]);

    const app = SECRETS.WHATSAPP_APP_SECRET;
    const bridge = SECRETS.WHATSAPP_WEBHOOK_SECRET;
    add('/webhooks/whatsapp', bodies.whatsappMeta, [
      ...common(),
      ['X-Hub-Signature-256 of zeros', () => ({ 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` })],
      ['X-Hub-Signature-256 signed with the bridge secret', (b) => ({ 'X-Hub-Signature-256': sha256Header(bridge, b) })],
      ['X-Hub-Signature-256 signed with the verify token', (b) => ({ 'X-Hub-Signature-256': sha256Header(SECRETS.WHATSAPP_VERIFY_TOKEN, b) })],
      ['X-Hub-Signature-256 over other bytes', (b) => ({ 'X-Hub-Signature-256': sha256Header(app, b + ' ') })],
      ['X-Hub-Signature-256, one hex digit changed', (b) => ({ 'X-Hub-Signature-256': oneCharChanged(sha256Header(app, b)) })],
      ['X-Hub-Signature-256 truncated', (b) => ({ 'X-Hub-Signature-256': sha256Header(app, b).slice(0, -2) })],
      ['empty X-Hub-Signature-256', () => ({ 'X-Hub-Signature-256': '' })],
      ['X-Hub-Signature-256 of 10 KB', () => ({ 'X-Hub-Signature-256': LONG })],
      ['X-Hub-Signature-256 = the App Secret itself', () => ({ 'X-Hub-Signature-256': `sha256=${app}` })],
      ['Bearer <App Secret>', () => ({ Authorization: `Bearer ${app}` })],
    ]);
    add('/webhooks/whatsapp', bodies.whatsappBridge, [
      ['X-Webhook-Signature of zeros', () => ({ 'X-Webhook-Signature': `sha256=${'0'.repeat(64)}` })],
      ['bare-hex X-Webhook-Signature of zeros', () => ({ 'X-Webhook-Signature': '0'.repeat(64) })],
      ['X-Webhook-Signature signed with the App Secret', (b) => ({ 'X-Webhook-Signature': sha256Header(app, b) })],
      ['X-Webhook-Signature over other bytes', (b) => ({ 'X-Webhook-Signature': sha256Header(bridge, b + ' ') })],
      ['X-Webhook-Signature, one hex digit changed', (b) => ({ 'X-Webhook-Signature': oneCharChanged(sha256Header(bridge, b)) })],
      ['empty X-Webhook-Signature', () => ({ 'X-Webhook-Signature': '' })],
      ['X-Webhook-Signature of 10 KB', () => ({ 'X-Webhook-Signature': LONG })],
      ['X-Webhook-Signature = the bridge secret itself', () => ({ 'X-Webhook-Signature': bridge })],
    ]);

    const cc = SECRETS.CCTELEGRAM_WEBHOOK_SECRET;
    for (const [path, make] of [['/webhook/events', bodies.ccEvents], ['/webhook/responses', bodies.ccResponses], ['/webhook/health', bodies.ccHealth]] as const) {
      add(path, make, [
        ...common(),
        ['right signature, no timestamp', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b) })],
        ['right signature, timestamp an hour old', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': String(Number(now()) - 3600) })],
        ['right signature, timestamp an hour ahead', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': String(Number(now()) + 3600) })],
        ['right signature, timestamp in milliseconds', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': String(Date.now()) })],
        ['right signature, timestamp not a number', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': 'now' })],
        ['no signature, fresh timestamp', () => ({ 'X-CCTelegram-Timestamp': now() })],
        ['signature of zeros', () => ({ 'X-CCTelegram-Signature': `sha256=${'0'.repeat(64)}`, 'X-CCTelegram-Timestamp': now() })],
        ['signature over other bytes', (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b + ' '), 'X-CCTelegram-Timestamp': now() })],
        ['signature with another provider secret', (b) => ({ 'X-CCTelegram-Signature': sha256Header(SECRETS.TELEGRAM_SECRET_TOKEN, b), 'X-CCTelegram-Timestamp': now() })],
        ['signature, one hex digit changed', (b) => ({ 'X-CCTelegram-Signature': oneCharChanged(sha256Header(cc, b)), 'X-CCTelegram-Timestamp': now() })],
        ['signature without its sha256= prefix', (b) => ({ 'X-CCTelegram-Signature': hmacHex(cc, b), 'X-CCTelegram-Timestamp': now() })],
        ['empty signature', () => ({ 'X-CCTelegram-Signature': '', 'X-CCTelegram-Timestamp': now() })],
        ['signature of 10 KB', () => ({ 'X-CCTelegram-Signature': LONG, 'X-CCTelegram-Timestamp': now() })],
        ['Bearer <secret>', () => ({ Authorization: `Bearer ${cc}`, 'X-CCTelegram-Timestamp': now() })],
      ]);
    }

    const tg = SECRETS.TELEGRAM_SECRET_TOKEN;
    add('/webhooks/telegram', bodies.telegram, [
      ...common(),
      ['X-Telegram-Bot-Api-Secret-Token <wrong>', () => ({ 'X-Telegram-Bot-Api-Secret-Token': 'wrong_tg_secret_token_000' })],
      ['X-Telegram-Bot-Api-Secret-Token <one character changed>', () => ({ 'X-Telegram-Bot-Api-Secret-Token': oneCharChanged(tg) })],
      ['X-Telegram-Bot-Api-Secret-Token <without its last character>', () => ({ 'X-Telegram-Bot-Api-Secret-Token': tg.slice(0, -1) })],
      ['X-Telegram-Bot-Api-Secret-Token <uppercased>', () => ({ 'X-Telegram-Bot-Api-Secret-Token': tg.toUpperCase() })],
      ['empty X-Telegram-Bot-Api-Secret-Token', () => ({ 'X-Telegram-Bot-Api-Secret-Token': '' })],
      ['X-Telegram-Bot-Api-Secret-Token of 10 KB', () => ({ 'X-Telegram-Bot-Api-Secret-Token': LONG })],
      ['X-Telegram-Bot-Api-Secret-Token <admin token>', () => ({ 'X-Telegram-Bot-Api-Secret-Token': ADMIN_TOKEN })],
      ['Bearer <secret token>', () => ({ Authorization: `Bearer ${tg}` })],
      ['?secret_token=<secret token> in the query', () => ({}), `secret_token=${tg}`],
    ]);
    return cases;
  }

  /** What an ingress 401 may say: the route's reason, never which secret or variable is (un)set. */
  function expectGenericRefusal(what: string, answer: Answer): void {
    const message = String((answer.body as { message?: unknown })?.message ?? '');
    if (answer.status === 401) {
      if ((answer.body as { statusCode?: number })?.statusCode !== 401) problems.push(`${what}: the 401 body is not the hub's error shape: ${answer.text.slice(0, 200)}`);
      // Naming a credential to send (`<DIGITAL_SAMBA_WEBHOOK_TOKEN>`) is help; saying one is unset is not.
      if (/\bnot set\b|not configured|is not accepted|\bunset\b|is empty/i.test(message)) {
        problems.push(`${what}: the 401 body tells which secret is configured: ${JSON.stringify(message)}`);
      }
    }
  }

  it('refuses every missing, wrong, misplaced or stale provider credential with 401 and stores nothing', async () => {
    const stream = `{${hub.config.prefix}}:events`;
    const cases = ingressCases();
    const routes = new Set(cases.map((c) => c.path.split('?')[0]));
    expect(routes.size).toBe(8);
    for (const c of cases) {
      const before = await hub.redis.xlen(stream);
      const answer = await send(hub, 'POST', c.path, c.headers, c.body);
      const what = `POST ${c.path.slice(0, 80)} with ${c.label}`;
      expectRefused(what, answer, [401]);
      expectGenericRefusal(what, answer);
      const after = await hub.redis.xlen(stream);
      if (after !== before) {
        letIn.push(`${what}: stored ${after - before} event(s)`);
      }
    }
    expect(letInHere()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('answers the WhatsApp handshake only for the verify token, with 403 otherwise and never the challenge', async () => {
    const token = SECRETS.WHATSAPP_VERIFY_TOKEN;
    const handshake = (verify?: string, mode = 'subscribe', extra = '') =>
      `/webhooks/whatsapp?hub.mode=${mode}&hub.challenge=am_challenge_4711${verify === undefined ? '' : `&hub.verify_token=${encodeURIComponent(verify)}`}${extra}`;
    const wrong: [string, string][] = [
      ['no hub.verify_token', handshake()],
      ['wrong hub.verify_token', handshake('wrong-verify-token-0000')],
      ['hub.verify_token, one character changed', handshake(oneCharChanged(token))],
      ['hub.verify_token without its last character', handshake(token.slice(0, -1))],
      ['empty hub.verify_token', handshake('')],
      ['hub.verify_token of 10 KB', handshake(LONG)],
      ['hub.verify_token = the App Secret', handshake(SECRETS.WHATSAPP_APP_SECRET)],
      ['hub.verify_token = the admin token', handshake(ADMIN_TOKEN)],
      ['right token with hub.mode=unsubscribe', handshake(token, 'unsubscribe')],
    ];
    for (const [label, path] of wrong) {
      for (const headers of [{}, { Authorization: `Bearer ${ADMIN_TOKEN}` }] as Record<string, string>[]) {
        const answer = await send(hub, 'GET', path, headers);
        const what = `GET /webhooks/whatsapp with ${label}${Object.keys(headers).length ? ' and the admin bearer' : ''}`;
        expectRefused(what, answer, [403]);
        if (answer.text.includes('am_challenge_4711')) letIn.push(`${what}: echoed the challenge`);
      }
    }
    const right = await send(hub, 'GET', handshake(token));
    expect(right.status).toBe(200);
    expect(right.text).toBe('am_challenge_4711');
    expect(letInHere()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('lets each provider in with its right credentials (the matrix above is not vacuous)', async () => {
    const stream = `{${hub.config.prefix}}:events`;
    const cc = SECRETS.CCTELEGRAM_WEBHOOK_SECRET;
    const right: [string, () => string, (b: string) => Record<string, string>, string?][] = [
      ['/webhooks/digitalsamba', bodies.digitalsamba, () => ({ Authorization: `Bearer ${SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN}` })],
      ['/webhooks/digitalsamba', bodies.digitalsamba, (b) => ({ 'X-DigitalSamba-Signature': sha256Header(SECRETS.DIGITAL_SAMBA_WEBHOOK_SECRET, b) })],
      ['/api/webhook/make.com/chatgpt-clients', bodies.makecom, () => ({ 'x-make-apikey': SECRETS.MAKE_COM_API_KEY })],
      ['/api/webhook/make.com/chatgpt-clients', bodies.makecom, (b) => ({ 'X-Hub-Signature-256': sha256Header(SECRETS.MAKE_COM_WEBHOOK_SECRET, b) })],
      ['/api/tavus/webhook', bodies.tavus, () => ({}), `t=${SECRETS.TAVUS_WEBHOOK_TOKEN}`],
      ['/api/tavus/webhook', bodies.tavus, (b) => ({ 'x-tavus-signature': sha256Header(SECRETS.TAVUS_WEBHOOK_SECRET, b) })],
      ['/webhooks/whatsapp', bodies.whatsappMeta, (b) => ({ 'X-Hub-Signature-256': sha256Header(SECRETS.WHATSAPP_APP_SECRET, b) })],
      ['/webhooks/whatsapp', bodies.whatsappBridge, (b) => ({ 'X-Webhook-Signature': sha256Header(SECRETS.WHATSAPP_WEBHOOK_SECRET, b) })],
      ['/webhook/events', bodies.ccEvents, (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': now() })],
      ['/webhook/responses', bodies.ccResponses, (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': now() })],
      ['/webhook/health', bodies.ccHealth, (b) => ({ 'X-CCTelegram-Signature': sha256Header(cc, b), 'X-CCTelegram-Timestamp': now() })],
      ['/webhooks/telegram', bodies.telegram, () => ({ 'X-Telegram-Bot-Api-Secret-Token': SECRETS.TELEGRAM_SECRET_TOKEN })],
    ];
    for (const [path, make, headers, query] of right) {
      const body = make();
      const before = await hub.redis.xlen(stream);
      const answer = await send(hub, 'POST', withQuery(path, query), { ...json, ...headers(body) }, body);
      if (answer.status < 200 || answer.status >= 300) problems.push(`POST ${path} with its right credentials -> ${answer.status} ${answer.text.slice(0, 300)}`);
      else if ((await hub.redis.xlen(stream)) <= before) problems.push(`POST ${path} with its right credentials stored nothing`);
      if (leaked(answer).length) problems.push(`POST ${path} with its right credentials -> the answer contains a secret`);
    }
    expect(problems).toEqual([]);
  });

  it('gives the same generic 401 whether or not the scheme a request uses has a secret configured', async () => {
    // The full hub has both schemes of each provider configured; `partial` only the first.
    const probes: [string, string, () => string, Record<string, string>, string?][] = [
      ['a wrong Digital Samba X-DigitalSamba-Signature', '/webhooks/digitalsamba', bodies.digitalsamba, { 'X-DigitalSamba-Signature': `sha256=${'0'.repeat(64)}` }],
      ['a wrong Make.com X-Hub-Signature-256', '/api/webhook/make.com/chatgpt-clients', bodies.makecom, { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }],
      ['a wrong Tavus x-tavus-signature', '/api/tavus/webhook', bodies.tavus, { 'x-tavus-signature': `sha256=${'0'.repeat(64)}` }],
      ['a wrong WhatsApp X-Webhook-Signature', '/webhooks/whatsapp', bodies.whatsappBridge, { 'X-Webhook-Signature': `sha256=${'0'.repeat(64)}` }],
      // And the schemes configured on both, for comparison.
      ['a wrong Digital Samba Bearer', '/webhooks/digitalsamba', bodies.digitalsamba, { Authorization: 'Bearer wrong-ds-token-000000000' }],
      ['a wrong Make.com x-make-apikey', '/api/webhook/make.com/chatgpt-clients', bodies.makecom, { 'x-make-apikey': 'wrong-make-key-0000000000' }],
      ['a wrong Tavus ?t=', '/api/tavus/webhook', bodies.tavus, {}, 't=wrong-tavus-token-00000000'],
      ['a wrong WhatsApp X-Hub-Signature-256', '/webhooks/whatsapp', bodies.whatsappMeta, { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }],
      ['no credentials (Digital Samba)', '/webhooks/digitalsamba', bodies.digitalsamba, {}],
      ['no credentials (Make.com)', '/api/webhook/make.com/chatgpt-clients', bodies.makecom, {}],
      ['no credentials (Tavus)', '/api/tavus/webhook', bodies.tavus, {}],
      ['no credentials (WhatsApp)', '/webhooks/whatsapp', bodies.whatsappMeta, {}],
    ];
    const differences: string[] = [];
    for (const [label, path, make, headers, query] of probes) {
      const body = make();
      const answers: Answer[] = [];
      for (const target of [hub, partial]) {
        const stream = `{${target.config.prefix}}:events`;
        const before = await target.redis.xlen(stream);
        const answer = await send(target, 'POST', withQuery(path, query), { ...json, ...headers }, body);
        const what = `POST ${path} (${target === hub ? 'all secrets set' : 'one scheme unset'}) with ${label}`;
        expectRefused(what, answer, [401]);
        expectGenericRefusal(what, answer);
        if ((await target.redis.xlen(stream)) !== before) letIn.push(`${what}: stored an event`);
        answers.push(answer);
      }
      const [full, part] = answers.map((a) => JSON.stringify(a.body));
      if (full !== part) differences.push(`${label} on ${path}: all secrets set -> ${full}; that scheme's secret unset -> ${part}`);
    }
    expect(letInHere()).toEqual([]);
    expect(problems).toEqual([]);
    // A sender must not learn from the refusal which of a provider's secrets the operator configured.
    expect(differences).toEqual([]);
  });

  it('sent no 5xx, let no wrong credential in, and records the figures', () => {
    const admin = adminOperations().length;
    recordReliability('auth-matrix', {
      title: 'Authentication matrix',
      order: 30,
      summary: { badInputs: tries, serverErrors: fiveHundreds },
      method:
        'Every operation in GET /docs/json (plus Bull Board and /docs) sent no, wrong, one-character-altered, truncated, misplaced (Basic, Token, query, cookie), empty and 10 KB credentials; ingress routes each provider\'s forged, cross-provider, stale and altered signatures and tokens, comparing XLEN of the event stream before and after every request.',
      figures: [
        ['routes in the OpenAPI document', operations.length],
        ['paths in the OpenAPI document', documentPaths],
        ['public by design (answer without credentials)', PUBLIC_OPERATIONS.length + PUBLIC_UNDOCUMENTED.length],
        ['admin-protected routes tried (document + Bull Board)', admin + DASHBOARD_ROUTES.length],
        ['ingress and handshake routes tried', INGRESS_OPERATIONS.length + HANDSHAKE_OPERATIONS.length],
        ['requests tried', tries],
        ['wrong credentials let in', letIn.length],
        ['5xx answers', fiveHundreds],
      ],
    });
    expect(letIn).toEqual([]);
    expect(fiveHundreds).toBe(0);
    expect(hub.serverErrors).toEqual([]);
    expect(partial.serverErrors).toEqual([]);
  });
});

/** Header values a failure message may print (long or secret ones shortened). */
function redact(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.length > 40 ? `${v.slice(0, 12)}…(${v.length})` : v]));
}
