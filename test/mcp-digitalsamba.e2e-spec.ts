import { randomBytes } from 'node:crypto';
import { TestHub, startHub } from './utils/hub-test-app';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';
import { FAKE_DS_EVENTS, FakeDigitalSamba } from './utils/fake-digital-samba';

jest.setTimeout(30_000);

const API_KEY = `ds-dev-key-${randomBytes(8).toString('hex')}`;
const ENV_KEY = `ds-env-key-${randomBytes(8).toString('hex')}`;
const WRONG_KEY = `ds-wrong-key-${randomBytes(8).toString('hex')}`;
/** DIGITAL_SAMBA_WEBHOOK_TOKEN: what register-webhook sends as authorization_header by default. */
const WEBHOOK_TOKEN = `ds-webhook-token-${randomBytes(8).toString('hex')}`;
const SECRETS = [API_KEY, ENV_KEY, WRONG_KEY, WEBHOOK_TOKEN];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_KEY_HINT = 'no Digital Samba API key: send X-DigitalSamba-Api-Key on the MCP connection or set DIGITAL_SAMBA_API_KEY';

/** Every tool result of the suite, to check no key or token ever shows up in one. */
const transcript: string[] = [];

async function call(mcp: ConnectedClient, name: string, args: Record<string, unknown> = {}) {
  const result = await mcp.client.callTool({ name, arguments: args });
  transcript.push(JSON.stringify(result));
  return result as { isError?: boolean; content: { type: string; text: string }[] };
}

/** Ends the session (DELETE) as a well-behaved client does, then closes the client. */
async function disconnect(mcp: ConnectedClient | undefined): Promise<void> {
  await mcp?.transport.terminateSession().catch(() => undefined);
  await mcp?.client.close().catch(() => undefined);
}

function text(result: { content: { text: string }[] }): string {
  return result.content.map((c) => c.text).join('\n');
}

describe('Digital Samba seed tools against a local fake of the Digital Samba REST API', () => {
  let fake: FakeDigitalSamba;
  let hub: TestHub;
  let mcp: ConnectedClient;
  const url1 = 'https://hooks.example.com/ds/one';

  beforeAll(async () => {
    fake = await new FakeDigitalSamba([API_KEY, ENV_KEY]).start();
    hub = await startHub('mcp-ds', { HUB_ROLE: 'gateway', DIGITAL_SAMBA_API_URL: fake.apiUrl, DIGITAL_SAMBA_WEBHOOK_TOKEN: WEBHOOK_TOKEN });
    mcp = await connectMcp(hub, { 'X-DigitalSamba-Api-Key': API_KEY });
  });
  afterAll(async () => {
    await disconnect(mcp);
    await hub.close();
    await fake.stop();
  });

  it('list-webhook-events returns the API\'s event names, grouped by kind', async () => {
    const mark = fake.log.length;
    const result = await call(mcp, 'list-webhook-events');
    expect(result.isError).toBeFalsy();
    const body = toolJson(result);
    expect(body.count).toBe(FAKE_DS_EVENTS.length);
    expect(body.events).toEqual(FAKE_DS_EVENTS);
    expect(body.groups).toEqual({
      session: ['session_started', 'session_ended'],
      participant: ['participant_joined', 'participant_left'],
      recording: ['recording_started', 'recording_stopped', 'recording_ready'],
      question: ['question_asked'],
      file: ['file_added_to_library'],
    });
    expect(fake.log.slice(mark)).toEqual([expect.objectContaining({ method: 'GET', path: '/api/v1/events', authorization: `Bearer ${API_KEY}`, status: 200 })]);
  });

  it('register-webhook creates (POST) and, for the same URL again, updates (PATCH) instead of creating a second', async () => {
    fake.seed('https://other.example.com/a');
    fake.seed('https://other.example.com/b');

    let mark = fake.log.length;
    const created = await call(mcp, 'register-webhook', { webhookUrl: url1, events: ['participant_joined', 'participant_left'] });
    expect(created.isError).toBeFalsy();
    const first = toolJson(created);
    expect(first).toMatchObject({
      action: 'created',
      webhook: { endpoint: url1, name: 'MCP Server Webhook', events: ['participant_joined', 'participant_left'], authorization_header: '***' },
    });
    expect(first.webhook.id).toMatch(UUID);
    expect(fake.calls().slice(mark)).toEqual(['GET /api/v1/webhooks', 'POST /api/v1/webhooks']);
    expect(fake.log[mark].query).toEqual({ limit: '100', offset: '0' });
    expect(fake.log[mark + 1].body).toEqual({ endpoint: url1, events: ['participant_joined', 'participant_left'], name: 'MCP Server Webhook', authorization_header: WEBHOOK_TOKEN });
    expect(fake.log.slice(mark).every((r) => r.authorization === `Bearer ${API_KEY}`)).toBe(true);

    // Same URL, no events: every event the account offers, on the same webhook.
    mark = fake.log.length;
    const updated = await call(mcp, 'register-webhook', { webhookUrl: url1 });
    expect(updated.isError).toBeFalsy();
    const second = toolJson(updated);
    expect(second).toMatchObject({ action: 'updated', webhook: { id: first.webhook.id, endpoint: url1, events: FAKE_DS_EVENTS, authorization_header: '***' } });
    expect(fake.calls().slice(mark)).toEqual(['GET /api/v1/events', 'GET /api/v1/webhooks', `PATCH /api/v1/webhooks/${first.webhook.id}`]);
    expect(fake.findByEndpoint(url1)).toHaveLength(1);
    expect(fake.findByEndpoint(url1)[0]).toMatchObject({ id: first.webhook.id, events: FAKE_DS_EVENTS, authorization_header: WEBHOOK_TOKEN });

    // An explicit authorizationHeader reaches the API, and is masked in the answer too.
    const custom = `custom-token-${randomBytes(6).toString('hex')}`;
    SECRETS.push(custom);
    mark = fake.log.length;
    const third = toolJson(await call(mcp, 'register-webhook', { webhookUrl: url1, events: ['session_started'], authorizationHeader: custom }));
    expect(third).toMatchObject({ action: 'updated', webhook: { id: first.webhook.id, events: ['session_started'], authorization_header: '***' } });
    expect(fake.calls().slice(mark)).toEqual(['GET /api/v1/webhooks', `PATCH /api/v1/webhooks/${first.webhook.id}`]);
    expect(fake.findByEndpoint(url1)[0].authorization_header).toBe(custom);
    expect(fake.webhooks.size).toBe(3);
  });

  it('list-webhooks shows every webhook with the authorization header masked', async () => {
    const result = await call(mcp, 'list-webhooks');
    expect(result.isError).toBeFalsy();
    const { webhooks } = toolJson(result);
    expect(webhooks).toHaveLength(3);
    const mine = webhooks.find((w: { endpoint: string }) => w.endpoint === url1);
    expect(mine).toMatchObject({ name: 'MCP Server Webhook', events: ['session_started'], authorization_header: '***' });
    expect(mine.id).toMatch(UUID);
    expect(mine.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // Webhooks without a header keep null (nothing to hide, nothing invented).
    expect(webhooks.filter((w: { endpoint: string }) => w.endpoint !== url1).map((w: { authorization_header: unknown }) => w.authorization_header)).toEqual([null, null]);
    expect(text(result)).not.toContain(fake.findByEndpoint(url1)[0].authorization_header!);
  });

  it('an API validation error (422) comes back as an isError result with the API\'s message', async () => {
    const mark = fake.log.length;
    const result = await call(mcp, 'register-webhook', { webhookUrl: 'https://hooks.example.com/ds/bad-events', events: ['no_such_event'] });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Digital Samba API answered HTTP 422');
    expect(text(result)).toContain('The selected events is invalid.');
    expect(fake.log.slice(mark).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'POST 422']);
    expect(fake.findByEndpoint('https://hooks.example.com/ds/bad-events')).toHaveLength(0);
  });

  it('delete-webhook deletes by URL (DELETE, 204); a second delete is an isError naming the URL', async () => {
    const id = fake.findByEndpoint(url1)[0].id;
    let mark = fake.log.length;
    const deleted = await call(mcp, 'delete-webhook', { webhookUrl: url1 });
    expect(deleted.isError).toBeFalsy();
    expect(toolJson(deleted)).toEqual({ deleted: true, id, webhookUrl: url1 });
    expect(fake.log.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /api/v1/webhooks 200', `DELETE /api/v1/webhooks/${id} 204`]);
    expect(fake.findByEndpoint(url1)).toHaveLength(0);
    expect(fake.webhooks.size).toBe(2);

    mark = fake.log.length;
    const again = await call(mcp, 'delete-webhook', { webhookUrl: url1 });
    expect(again.isError).toBe(true);
    expect(text(again)).toBe(`no Digital Samba webhook is registered for ${url1}`);
    expect(fake.calls().slice(mark)).toEqual(['GET /api/v1/webhooks']);
  });

  it('finds the webhook to update or delete beyond the first page of 100', async () => {
    const url2 = 'https://hooks.example.com/ds/two';
    const old = fake.seed(url2, ['session_ended'], 'old one');
    for (let i = 0; i < 120; i++) fake.seed(`https://newer.example.com/${i}`);
    // Newest first: the webhook for url2 is on the second page now.
    expect(fake.webhooks.size).toBe(123);

    let mark = fake.log.length;
    const updated = toolJson(await call(mcp, 'register-webhook', { webhookUrl: url2, events: ['recording_ready'] }));
    expect(updated).toMatchObject({ action: 'updated', webhook: { id: old.id, events: ['recording_ready'] } });
    expect(fake.log.slice(mark).map((r) => `${r.method} ${r.path} ${r.query.offset ?? ''}`.trim())).toEqual([
      'GET /api/v1/webhooks 0',
      'GET /api/v1/webhooks 100',
      `PATCH /api/v1/webhooks/${old.id}`,
    ]);
    expect(fake.findByEndpoint(url2)).toHaveLength(1);

    const listed = toolJson(await call(mcp, 'list-webhooks'));
    expect(listed.webhooks).toHaveLength(123);
    expect(new Set(listed.webhooks.map((w: { id: string }) => w.id)).size).toBe(123);

    mark = fake.log.length;
    expect(toolJson(await call(mcp, 'delete-webhook', { webhookUrl: url2 }))).toMatchObject({ deleted: true, id: old.id });
    expect(fake.calls().slice(mark).at(-1)).toBe(`DELETE /api/v1/webhooks/${old.id}`);
    expect(fake.webhooks.size).toBe(122);
  });

  it('a wrong key is an isError result saying the API refused the key, for every tool', async () => {
    const wrong = await connectMcp(hub, { 'X-DigitalSamba-Api-Key': WRONG_KEY });
    try {
      const mark = fake.log.length;
      const size = fake.webhooks.size;
      for (const [name, args] of [
        ['list-webhook-events', {}],
        ['list-webhooks', {}],
        ['register-webhook', { webhookUrl: 'https://hooks.example.com/ds/wrong', events: ['session_started'] }],
        ['delete-webhook', { webhookUrl: 'https://newer.example.com/1' }],
      ] as const) {
        const result = await call(wrong, name, args);
        expect(result.isError).toBe(true);
        expect(text(result)).toBe('Digital Samba API refused the key (HTTP 401)');
      }
      expect(fake.log.slice(mark).map((r) => `${r.method} ${r.authorization} ${r.status}`)).toEqual([
        `GET Bearer ${WRONG_KEY} 401`,
        `GET Bearer ${WRONG_KEY} 401`,
        `GET Bearer ${WRONG_KEY} 401`,
        `GET Bearer ${WRONG_KEY} 401`,
      ]);
      expect(fake.webhooks.size).toBe(size);
      // The session and the hub are fine afterwards.
      expect((await wrong.client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await disconnect(wrong);
    }
  });

  it('with no header and no DIGITAL_SAMBA_API_KEY, every tool explains how to give a key and calls nothing', async () => {
    const keyless = await connectMcp(hub);
    try {
      const mark = fake.log.length;
      for (const [name, args] of [
        ['list-webhook-events', {}],
        ['list-webhooks', {}],
        ['register-webhook', { webhookUrl: 'https://hooks.example.com/ds/keyless', events: ['session_started'] }],
        ['delete-webhook', { webhookUrl: 'https://newer.example.com/1' }],
      ] as const) {
        const result = await call(keyless, name, args);
        expect(result.isError).toBe(true);
        expect(text(result)).toBe(NO_KEY_HINT);
      }
      expect(fake.log.length).toBe(mark);
    } finally {
      await disconnect(keyless);
    }
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });

  describe('with DIGITAL_SAMBA_API_KEY set', () => {
    let envHub: TestHub;

    beforeAll(async () => {
      envHub = await startHub('mcp-ds-env', { HUB_ROLE: 'gateway', DIGITAL_SAMBA_API_URL: fake.apiUrl, DIGITAL_SAMBA_API_KEY: ENV_KEY });
    });
    afterAll(async () => {
      await envHub.close();
    });

    it('uses the env key when the connection sends none, and the header key when it does', async () => {
      const plain = await connectMcp(envHub);
      const withHeader = await connectMcp(envHub, { 'X-DigitalSamba-Api-Key': API_KEY });
      try {
        let mark = fake.log.length;
        const events = await call(plain, 'list-webhook-events');
        expect(events.isError).toBeFalsy();
        expect(toolJson(events).count).toBe(FAKE_DS_EVENTS.length);
        const listed = await call(plain, 'list-webhooks');
        expect(toolJson(listed).webhooks).toHaveLength(fake.webhooks.size);
        // GET /events, then the webhooks in two pages (122 of them).
        expect(fake.log.slice(mark).map((r) => `${r.path} ${r.authorization}`)).toEqual([
          `/api/v1/events Bearer ${ENV_KEY}`,
          `/api/v1/webhooks Bearer ${ENV_KEY}`,
          `/api/v1/webhooks Bearer ${ENV_KEY}`,
        ]);

        const url = 'https://hooks.example.com/ds/env';
        const created = toolJson(await call(plain, 'register-webhook', { webhookUrl: url, events: ['participant_joined'] }));
        expect(created).toMatchObject({ action: 'created', webhook: { endpoint: url } });
        // This hub has no DIGITAL_SAMBA_WEBHOOK_TOKEN: no authorization_header is sent or invented.
        expect(fake.log.at(-1)).toMatchObject({ method: 'POST', authorization: `Bearer ${ENV_KEY}`, body: { endpoint: url, events: ['participant_joined'], name: 'MCP Server Webhook' } });
        expect(fake.log.at(-1)!.body).not.toHaveProperty('authorization_header');
        expect(created.webhook.authorization_header).toBeNull();

        mark = fake.log.length;
        expect(toolJson(await call(withHeader, 'delete-webhook', { webhookUrl: url }))).toMatchObject({ deleted: true, id: created.webhook.id });
        expect(fake.log.slice(mark).map((r) => `${r.method} ${r.authorization}`)).toEqual([
          `GET Bearer ${API_KEY}`,
          `GET Bearer ${API_KEY}`,
          `DELETE Bearer ${API_KEY}`,
        ]);
      } finally {
        await disconnect(plain);
        await disconnect(withHeader);
      }
    });

    it('an unreachable API is an isError result, not a crash', async () => {
      const plain = await connectMcp(envHub);
      try {
        await fake.stop();
        const result = await call(plain, 'list-webhooks');
        expect(result.isError).toBe(true);
        expect(text(result)).toMatch(/^Digital Samba API unreachable: /);
      } finally {
        await disconnect(plain);
      }
    });

    // Last of the file: every tool result of both hubs is in the transcript by now.
    it('no tool result of this suite ever showed a developer key or webhook token', () => {
      expect(transcript.length).toBeGreaterThanOrEqual(20);
      const all = transcript.join('\n');
      for (const secret of SECRETS) expect(all).not.toContain(secret);
    });

    it('sent no 500 (either hub)', () => {
      expect(hub.serverErrors).toEqual([]);
      expect(envHub.serverErrors).toEqual([]);
    });
  });
});
