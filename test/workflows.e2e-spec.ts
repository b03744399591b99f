import { createHmac } from 'node:crypto';
import { MakeComScenariosService } from '@hub/providers';
import { ADMIN_TOKEN, TestHub, sleep, startHub, waitFor } from './utils/hub-test-app';
import { FakeTelegramBotApi, callbackQueryUpdate } from './utils/fake-telegram-bot-api';
import { loadDelivery, wireBody } from './utils/fixture-delivery';
import { HttpSink } from './utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';
import { verifyStandardWebhook } from './utils/delivery-helpers';

const API_KEY = 'mk_live_4c9d2e1f0a8b7c6d';
const MAKE_SECRET = 'make_hub_secret_7f3a';
const CCT_SECRET = 'cct_webhook_secret_example';
const TG_SECRET = 'hub_Tg-Secret_42';
const CHAT_ID = '-1001234567890';
const SEED_ROUTE = '/api/webhook/make.com/chatgpt-clients';
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Signed as the CCTelegram bridge signs (HMAC of the raw body, fresh timestamp). */
function bridgeHeaders(body: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'X-CCTelegram-Signature': `sha256=${createHmac('sha256', CCT_SECRET).update(body).digest('hex')}`,
    'X-CCTelegram-Timestamp': String(Math.floor(Date.now() / 1000)),
  };
}

function userResponse(id: string, callbackData: string | undefined, options: { text?: string; eventId?: string } = {}): string {
  return JSON.stringify({
    webhook_type: 'user_response',
    timestamp: new Date().toISOString(),
    response: {
      id,
      event_id: options.eventId ?? 'evt_abc123def456',
      user: { id: 123456789, username: 'john_doe', first_name: 'John', last_name: 'Doe' },
      message: { id: 12346, text: options.text ?? 'Approve', chat_id: CHAT_ID, timestamp: new Date().toISOString() },
      interaction_type: callbackData ? 'callback_query' : 'message',
      ...(callbackData ? { callback_data: callbackData } : {}),
    },
    original_event: { type: 'approval_request', title: 'Send the response?', options: ['Approve', 'Deny'] },
  });
}

describe('workflows: Make.com actions, knowledge graphs and approvals decided from Telegram, REST and MCP', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let telegram: FakeTelegramBotApi;
  let mcp: ConnectedClient;
  let responseSecret: string;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    telegram = await new FakeTelegramBotApi().start();
    hub = await startHub('workflows', {
      MAKE_COM_API_KEY: API_KEY,
      MAKE_COM_WEBHOOK_SECRET: MAKE_SECRET,
      CCTELEGRAM_WEBHOOK_SECRET: CCT_SECRET,
      TELEGRAM_SECRET_TOKEN: TG_SECRET,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_APPROVAL_CHAT_ID: CHAT_ID,
      TELEGRAM_API_URL: telegram.url,
      ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '1',
    });
    mcp = await connectMcp(hub);
    // The response URL registered as a webhook that matches no event: its secret verifies the response.
    const registered = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/responses'), events: ['makecom.webhook_response'] });
    expect(registered.status).toBe(201);
    responseSecret = registered.body.secret;
    // An operator's feed of approvals, as any subscriber gets hub events.
    const feed = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/approvals-feed'), events: ['hub.approval.*'] });
    expect(feed.status).toBe(201);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await hub?.close();
    await sink?.stop();
    await telegram?.stop();
  });

  const responsesAt = (path: string) => sink.received.filter((r) => r.path === path);

  describe('Make.com seed scenario, answered inline', () => {
    it('answers the seed payload with the seed\'s Response Format and a knowledge graph whose counts match it', async () => {
      const delivery = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY });
      const res = await hub.http().post(SEED_ROUTE).set(delivery.headers).send(wireBody(delivery));
      expect(res.status).toBe(200);
      const id = res.body.webhook_id;
      expect(id).toMatch(/^evt_/);
      expect(Object.keys(res.body)).toEqual(['webhook_id', 'status', 'client_id', 'result']);
      expect(res.body).toMatchObject({ status: 'processed', client_id: 'client-123' });
      expect(Object.keys(res.body.result)).toEqual(['webhook_id', 'client_id', 'action_id', 'timestamp', 'source', 'knowledge_graph']);
      expect(res.body.result).toMatchObject({ webhook_id: id, client_id: 'client-123', action_id: 'get_client_data', source: 'make.com_chatgpt_clients' });
      const graph = res.body.result.knowledge_graph;
      expect(Object.keys(graph)).toEqual(['client_id', 'extraction_id', 'knowledge_nodes', 'relationships', 'metadata']);
      // The seed payload: one client, one task, one status, one assignee, one custom field (naming the client).
      expect(graph.metadata.node_counts).toEqual({ Client: 1, Task: 1, Status: 1, Person: 1, CustomField: 1 });
      expect(graph.metadata.relationship_counts).toEqual({ HAS_TASK: 1, HAS_STATUS: 1, ASSIGNED_TO: 1, HAS_FIELD: 1, REFERENCES_CLIENT: 1 });
      expect(graph.knowledge_nodes.map((n: { id: string }) => n.id)).toContain('client:client-123');

      // Stored and readable by extraction id, as the client's latest, and over MCP.
      const byId = await hub.http().get(`/api/v1/knowledge-graphs/${graph.extraction_id}`).set(auth);
      expect(byId.status).toBe(200);
      expect(byId.body).toEqual(graph);
      const latest = await hub.http().get('/api/v1/clients/client-123/knowledge-graph').set(auth);
      expect(latest.body.extraction_id).toBe(graph.extraction_id);
      expect(toolJson(await mcp.client.callTool({ name: 'get_knowledge_graph', arguments: { extraction_id: graph.extraction_id } }))).toEqual(graph);

      // A redelivery (same Idempotency-Key) answers the first reply again, byte for byte, with 200.
      const again = await hub.http().post(SEED_ROUTE).set(delivery.headers).send(wireBody(delivery));
      expect(again.status).toBe(200);
      expect(again.text).toBe(res.text);
    });

    it('counts N assignees and M custom fields; the same body again (no Idempotency-Key) answers the same bytes', async () => {
      const body = JSON.stringify({
        client_id: 'client-77',
        action_id: 'get_client_data',
        task: {
          id: 'task_77',
          name: 'Quarterly review',
          status: { status: 'open', color: '#00ff00' },
          assignees: [1, 2, 3].map((i) => ({ id: i, username: `user${i}`, email: `user${i}@example.com` })),
          custom_fields: [1, 2, 3, 4].map((i) => ({ id: `field_${i}`, name: `Field ${i}`, type: 'text', value: `v${i}` })),
        },
      });
      const headers = { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', MAKE_SECRET).update(body).digest('hex')}` };
      const res = await hub.http().post(SEED_ROUTE).set(headers).send(body);
      expect(res.status).toBe(200);
      const counts = res.body.result.knowledge_graph.metadata;
      expect(counts.node_counts).toEqual({ Client: 1, Task: 1, Status: 1, Person: 3, CustomField: 4 });
      expect(counts.relationship_counts).toEqual({ HAS_TASK: 1, HAS_STATUS: 1, ASSIGNED_TO: 3, HAS_FIELD: 4 });
      const again = await hub.http().post(SEED_ROUTE).set(headers).send(body);
      expect(again.status).toBe(200);
      expect(again.text).toBe(res.text);
    });

    it('routes other scenarios by action_id; unknown actions get the process_webhook_data result', async () => {
      const body = JSON.stringify({ client_id: 'client-9', action_id: 'sync_lead', task: { id: 't9', name: 'Lead', custom_fields: [{ id: 'f', name: 'Region', value: 'EU' }] } });
      const res = await hub.http().post('/api/webhook/make.com/lead-sync').set({ 'Content-Type': 'application/json', 'x-make-apikey': API_KEY }).send(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'processed', client_id: 'client-9', result: { action_id: 'sync_lead', source: 'make.com_lead_sync', processed_data: { client_id: 'client-9', custom_fields: { Region: 'EU' } } } });
    });

    it('a scenario with action_id send_webhook_response asks for approval once, as the Make.com client', async () => {
      const body = JSON.stringify({ client_id: 'client-mk', action_id: 'send_webhook_response', task: { id: 'reply-1' }, response_url: sink.url('/responses'), response_data: { from: 'scenario' } });
      const headers = { 'Content-Type': 'application/json', 'x-make-apikey': API_KEY, 'Idempotency-Key': 'exec-42:reply-1' };
      const res = await hub.http().post('/api/webhook/make.com/replies').set(headers).send(body);
      expect(res.status).toBe(200);
      expect(res.body.result.approval).toMatchObject({ approval_id: expect.stringMatching(/^apr_/), status: 'pending' });
      const again = await hub.http().post('/api/webhook/make.com/replies').set(headers).send(body);
      expect(again.text).toBe(res.text);
      const approval = (await hub.http().get(`/api/v1/approvals/${res.body.result.approval.approval_id}`).set(auth)).body;
      expect(approval).toMatchObject({ status: 'pending', requestedBy: { channel: 'makecom', id: 'client-mk', name: 'replies' }, arguments: { response_data: { from: 'scenario' } } });
      await sleep(1_000);
      const pending = await hub.http().get('/api/v1/approvals').query({ status: 'pending', limit: 500 }).set(auth);
      expect(pending.body.data.filter((a: { requestedBy: { id?: string } }) => a.requestedBy.id === 'client-mk')).toHaveLength(1);
      const invalid = await hub.http().post('/api/webhook/make.com/replies').set({ ...headers, 'Idempotency-Key': 'exec-43' }).send(JSON.stringify({ client_id: 'client-mk', action_id: 'send_webhook_response', task: {}, response_url: 'ftp://nope' }));
      expect(invalid.status).toBe(200);
      expect(invalid.body.result.error).toMatch(/response_url/);
    });

    it('answers 408 when the work takes longer than WEBHOOK_TIMEOUT_SECONDS, keeps the event, and answers a redelivery with the result', async () => {
      hub.app.get(MakeComScenariosService).registerAction('slow_report', async () => {
        await sleep(4_000);
        return { report: 'done' };
      });
      const body = JSON.stringify({ client_id: 'client-slow', action_id: 'slow_report', task: { id: 'slow' } });
      const headers = { 'Content-Type': 'application/json', 'x-make-apikey': API_KEY, 'Idempotency-Key': 'slow-run-1' };
      const res = await hub.http().post('/api/webhook/make.com/reports').set(headers).send(body);
      expect(res.status).toBe(408);
      expect(res.body.message).toMatch(/WEBHOOK_TIMEOUT_SECONDS \(1 s\); the event is stored/);
      const stored = await hub.http().get('/api/v1/events').query({ type: 'makecom.slow_report' }).set(auth);
      expect(stored.body.data).toHaveLength(1);
      // Once the work is done, a redelivery gets its result.
      const later = await waitFor(async () => {
        const r = await hub.http().post('/api/webhook/make.com/reports').set(headers).send(body);
        return r.status === 200 ? r : null;
      }, 20_000, 500);
      expect(later?.body.result).toMatchObject({ report: 'done', webhook_id: stored.body.data[0].id });
    });
  });

  describe('the four actions over REST and MCP', () => {
    it('process_webhook_data and extract_client_knowledge_graph, REST and MCP alike', async () => {
      const webhook_data = JSON.parse(loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY }).body.toString());
      const rest = await hub.http().post('/api/v1/actions/process_webhook_data').set(auth).send({ webhook_data });
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({ client_id: 'client-123', action_id: 'get_client_data', assignee_count: 1, custom_field_count: 1 });
      const tool = toolJson(await mcp.client.callTool({ name: 'process_webhook_data', arguments: { webhook_data } }));
      expect({ ...tool, processed_at: undefined }).toEqual({ ...rest.body, processed_at: undefined });

      const graph = toolJson(await mcp.client.callTool({ name: 'extract_client_knowledge_graph', arguments: { webhook_data, client_id: 'client-123', include_task_details: false } }));
      expect(graph.metadata.total_nodes).toBe(5);
      expect((await hub.http().get(`/api/v1/knowledge-graphs/${graph.extraction_id}`).set(auth)).body.extraction_id).toBe(graph.extraction_id);
      const bad = await hub.http().post('/api/v1/actions/extract_client_knowledge_graph').set(auth).send({ webhook_data: 'nope', extra: 1 });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body', 'webhook_data']);
    });

    it('validate_webhook_signature: true for the right secret, false for a wrong one and a truncated signature, never a digest', async () => {
      const body = '{"scenario":"lead-sync","execution_id":"a1b2c3d4e5f6","event":"lead.created","data":{"email":"ada@example.com"}}';
      const signature = 'sha256=49f392b331862f401ccb16af4551311a5941318ec897cd8ab1091ca223621e6b';
      const call = async (args: Record<string, unknown>) => {
        const rest = await hub.http().post('/api/v1/actions/validate_webhook_signature').set(auth).send(args);
        const tool = await mcp.client.callTool({ name: 'validate_webhook_signature', arguments: args });
        const text = JSON.stringify(rest.body) + JSON.stringify(tool);
        expect(text).not.toMatch(/[0-9a-f]{64}/i);
        expect(text).not.toContain(MAKE_SECRET);
        expect(toolJson(tool)).toEqual(rest.body);
        return rest.body;
      };
      expect(await call({ webhook_data: body, signature, client_id: 'c' })).toEqual({ valid: true });
      expect(await call({ webhook_data: body, signature, secret_key: MAKE_SECRET })).toEqual({ valid: true });
      expect(await call({ webhook_data: JSON.parse(body), signature })).toEqual({ valid: true });
      expect(await call({ webhook_data: body, signature, secret_key: 'wrong-secret' })).toEqual({ valid: false });
      expect(await call({ webhook_data: body, signature: signature.slice(0, 40) })).toEqual({ valid: false });
    });
  });

  describe('send_webhook_response waits for approval', () => {
    async function requestResponse(data: Record<string, unknown>) {
      const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/responses'), response_data: data, response_type: 'success', client_id: 'client-123' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ approval_id: expect.stringMatching(/^apr_/), status: 'pending' });
      return res.body.approval_id as string;
    }

    it('sends nothing while pending; a signed CCTelegram approve_<id> sends it once, signed; approving again is 409', async () => {
      const before = responsesAt('/responses').length;
      const id = await requestResponse({ answer: 42 });
      // The request went to Telegram with Approve / Reject buttons.
      const sent = await telegram.waitForCall('sendMessage', (b) => JSON.stringify(b).includes(id));
      expect(sent.body.chat_id).toBe(CHAT_ID);
      expect(sent.body.reply_markup.inline_keyboard[0].map((b: { callback_data: string }) => b.callback_data)).toEqual([`approve_${id}`, `reject_${id}`]);
      await sleep(500);
      expect(responsesAt('/responses').length).toBe(before);
      expect((await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.status).toBe('pending');

      const body = userResponse(`resp_${id}`, `approve_${id}`);
      const res = await hub.http().post('/webhook/responses').set(bridgeHeaders(body)).send(body);
      expect(res.status).toBeLessThan(300);
      expect(await waitFor(async () => responsesAt('/responses').length > before, 15_000)).toBe(true);
      const delivered = responsesAt('/responses').slice(before);
      expect(delivered).toHaveLength(1);
      const payload = verifyStandardWebhook(responseSecret, delivered[0]) as Record<string, unknown>;
      expect(payload).toMatchObject({ status: 'success', client_id: 'client-123', response_id: id, data: { answer: 42 } });

      const approval = (await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body;
      expect(approval).toMatchObject({ status: 'approved', decision: { decision: 'approve', by: { channel: 'cctelegram', id: '123456789', name: 'john_doe' } } });
      expect(await waitFor(async () => (await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.result?.delivery_id, 10_000)).toBeTruthy();
      const again = await hub.http().post(`/api/v1/approvals/${id}/approve`).set(auth).send({});
      expect(again.status).toBe(409);
      expect(again.body.details).toMatchObject({ status: 'approved', decision: { by: { channel: 'cctelegram' } } });
      // The Telegram message now shows the decision.
      await telegram.waitForCall('editMessageText', (b) => String(b.text).includes(id) && String(b.text).includes('Approved'));
      // A subscriber to hub.approval.* got the request and the decision.
      expect(await waitFor(async () => {
        const feed = responsesAt('/approvals-feed').map((r) => JSON.parse(r.body) as { type: string; data: { approval_id: string } });
        return ['hub.approval.requested', 'hub.approval.decided'].every((t) => feed.some((e) => e.type === t && e.data.approval_id === id));
      }, 10_000)).toBe(true);
      await sleep(1_000);
      expect(responsesAt('/responses').length).toBe(before + 1);
    });

    it('a rejected one never reaches the sink, whatever arrives later', async () => {
      const before = responsesAt('/responses').length;
      const rejected = await requestResponse({ answer: 'no' });
      const res = await hub.http().post(`/api/v1/approvals/${rejected}/reject`).set(auth).send({ reason: 'not today' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'rejected', decision: { reason: 'not today', by: { channel: 'rest' } } });
      // A later approve from the bridge changes nothing.
      const body = userResponse(`resp_late_${rejected}`, `approve_${rejected}`);
      await hub.http().post('/webhook/responses').set(bridgeHeaders(body)).send(body);
      await sleep(1_500);
      expect(responsesAt('/responses').length).toBe(before);
      expect((await hub.http().get(`/api/v1/approvals/${rejected}`).set(auth)).body.status).toBe('rejected');
    });

    it('a Bot API callback_query decides: answerCallbackQuery and editMessageText are called; a button from another chat does not decide', async () => {
      const before = responsesAt('/responses').length;
      const id = await requestResponse({ answer: 'via bot' });
      const sent = await telegram.waitForCall('sendMessage', (b) => JSON.stringify(b).includes(id));
      const messageId = telegram.messages.size > 0 ? [...telegram.messages.values()].find((m) => String(m.text).includes(id))?.message_id : undefined;
      expect(messageId).toBeDefined();

      const foreign = callbackQueryUpdate({ updateId: 9001, callbackQueryId: 'cq-foreign', data: `approve_${id}`, chatId: 555, messageId: 1 });
      await hub.http().post('/webhooks/telegram').set({ 'X-Telegram-Bot-Api-Secret-Token': TG_SECRET }).send(foreign);
      await telegram.waitForCall('answerCallbackQuery', (b) => b.callback_query_id === 'cq-foreign');
      expect((await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.status).toBe('pending');

      const update = callbackQueryUpdate({ updateId: 9002, callbackQueryId: 'cq-1', data: `approve_${id}`, fromId: 42, fromUsername: 'ada', chatId: Number(CHAT_ID), messageId: messageId! });
      const res = await hub.http().post('/webhooks/telegram').set({ 'X-Telegram-Bot-Api-Secret-Token': TG_SECRET }).send(update);
      expect(res.status).toBeLessThan(300);
      const answered = await telegram.waitForCall('answerCallbackQuery', (b) => b.callback_query_id === 'cq-1');
      expect(answered.body.text).toBe('Approved.');
      const edited = await telegram.waitForCall('editMessageText', (b) => b.message_id === messageId);
      expect(edited.body.text).toMatch(/Approved by telegram ada/);
      expect(await waitFor(async () => responsesAt('/responses').length > before, 15_000)).toBe(true);
      expect((await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body).toMatchObject({ status: 'approved', decision: { by: { channel: 'telegram', id: '42', name: 'ada' } } });
      expect(sent.body.reply_markup).toBeDefined();
    });

    it('a text reply to the request message in the approval chat decides, as its buttons do', async () => {
      const id = await requestResponse({ answer: 'by reply' });
      await telegram.waitForCall('sendMessage', (b) => JSON.stringify(b).includes(id));
      const sent = [...telegram.messages.values()].find((m) => String(m.text).includes(id));
      expect(await waitFor(async () => (await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.telegram, 10_000)).toBeTruthy();
      const update = {
        update_id: 9100,
        message: {
          message_id: 7001,
          from: { id: 77, is_bot: false, first_name: 'Grace', username: 'grace' },
          chat: { id: Number(CHAT_ID), type: 'supergroup' },
          date: Math.floor(Date.now() / 1000),
          text: 'Reject, the numbers are wrong',
          reply_to_message: { message_id: sent.message_id, chat: { id: Number(CHAT_ID), type: 'supergroup' }, date: 1, text: sent.text },
        },
      };
      expect((await hub.http().post('/webhooks/telegram').set({ 'X-Telegram-Bot-Api-Secret-Token': TG_SECRET }).send(update)).status).toBeLessThan(300);
      expect(await waitFor(async () => (await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.status === 'rejected', 15_000)).toBe(true);
      expect((await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.decision.by).toEqual({ channel: 'telegram', id: '77', name: 'grace' });
    });

    it('a dead response delivery redriven sends the same body again, not the decision event', async () => {
      sink.reply = (req) => (req.path === '/flaky' && sink.received.filter((r) => r.path === '/flaky').length === 1 ? { status: 500 } : { status: 200 });
      const registered = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/flaky'), events: ['makecom.webhook_response'], retrySchedule: [] });
      const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/flaky'), response_data: { try: 'again' }, client_id: 'client-123' });
      await hub.http().post(`/api/v1/approvals/${res.body.approval_id}/approve`).set(auth).send({});
      const dead = await waitFor(async () => (await hub.http().get('/api/v1/dead-letters').query({ subscriptionId: registered.body.id }).set(auth)).body.data[0], 15_000);
      expect(dead?.status).toBe('dead');
      const redriven = await hub.http().post('/api/v1/dead-letters/redrive').set(auth).send({ ids: [dead.id] });
      expect(redriven.body.redriven).toBe(1);
      expect(await waitFor(async () => responsesAt('/flaky').length === 2, 15_000)).toBe(true);
      const [first, second] = responsesAt('/flaky');
      expect(second.body).toBe(first.body);
      expect(JSON.parse(second.body)).toMatchObject({ response_id: res.body.approval_id, data: { try: 'again' } });
      expect(verifyStandardWebhook(registered.body.secret, second)).toBeTruthy();
      sink.reply = () => ({ status: 200 });
    });

    it('an endpoint disabled when its response came replays the response itself (missed, then by event), not the decision event', async () => {
      const registered = await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/paused'), events: ['makecom.webhook_response'] });
      await hub.http().post(`/api/v1/subscriptions/${registered.body.id}/disable`).set(auth).send({});
      const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/paused'), response_data: { missed: true }, client_id: 'client-123' });
      const approved = await hub.http().post(`/api/v1/approvals/${res.body.approval_id}/approve`).set(auth).send({});
      expect(approved.status).toBe(200);
      const cancelled = await waitFor(async () => {
        const list = await hub.http().get('/api/v1/deliveries').query({ subscriptionId: registered.body.id }).set(auth);
        return list.body.data[0]?.status === 'cancelled';
      }, 15_000, 100);
      expect(cancelled).toBe(true);
      const enabled = await hub.http().post(`/api/v1/subscriptions/${registered.body.id}/enable`).set(auth).send({});
      expect(enabled.body.missed).toEqual({ skipped: 1 });
      await hub.http().post(`/api/v1/subscriptions/${registered.body.id}/replay`).set(auth).send({ status: 'skipped' });
      expect(await waitFor(async () => responsesAt('/paused').length === 1, 15_000)).toBe(true);
      const [replayed] = responsesAt('/paused');
      expect(JSON.parse(replayed.body)).toMatchObject({ response_id: res.body.approval_id, data: { missed: true } });
      expect(replayed.headers['x-webhook-event']).toBe('makecom.webhook_response');

      const decided = (await hub.http().get('/api/v1/events').query({ type: 'hub.approval.decided' }).set(auth)).body.data.find((e: { subject: string }) => e.subject === res.body.approval_id);
      await hub.http().post(`/api/v1/events/${decided.id}/replay`).set(auth).send({ subscriptionId: registered.body.id });
      expect(await waitFor(async () => responsesAt('/paused').length === 2, 15_000)).toBe(true);
      expect(responsesAt('/paused')[1].body).toBe(replayed.body);
    });

    it('MCP: a session receives hub.approval.requested; decide_approval approves; a second decision is an error', async () => {
      const before = responsesAt('/responses').length;
      const requested = toolJson(
        await mcp.client.callTool({ name: 'send_webhook_response', arguments: { response_url: sink.url('/responses'), response_data: { via: 'mcp' }, client_id: 'client-mcp' } }),
      );
      expect(requested.status).toBe('pending');
      expect(await waitFor(async () => mcp.logged.some((n) => n.data.type === 'hub.approval.requested' && (n.data as unknown as { subject: string }).subject === requested.approval_id), 10_000)).toBe(true);
      const listed = toolJson(await mcp.client.callTool({ name: 'list_approvals', arguments: { status: 'pending' } }));
      expect(listed.data.map((a: { id: string }) => a.id)).toContain(requested.approval_id);

      const decided = toolJson(await mcp.client.callTool({ name: 'decide_approval', arguments: { approval_id: requested.approval_id, decision: 'approve' } }));
      expect(decided).toMatchObject({ status: 'approved', decision: { by: { channel: 'mcp' } } });
      const second = await mcp.client.callTool({ name: 'decide_approval', arguments: { approval_id: requested.approval_id, decision: 'reject' } });
      expect(second.isError).toBe(true);
      expect(JSON.stringify(second.content)).toMatch(/already approved by mcp/);
      expect(await waitFor(async () => responsesAt('/responses').length > before, 15_000)).toBe(true);
      expect(await waitFor(async () => mcp.logged.some((n) => n.data.type === 'hub.approval.decided'), 10_000)).toBe(true);
    });
  });
});

describe('approvals expire', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let telegram: FakeTelegramBotApi;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    telegram = await new FakeTelegramBotApi().start();
    hub = await startHub('approvals-expiry', {
      MAKE_COM_API_KEY: API_KEY,
      ALLOW_PRIVATE_TARGETS: 'true',
      APPROVAL_TTL_SECONDS: '10',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_APPROVAL_CHAT_ID: CHAT_ID,
      TELEGRAM_API_URL: telegram.url,
    });
  });
  afterAll(async () => {
    await hub?.close();
    await sink?.stop();
    await telegram?.stop();
  });

  it('expires undecided: hub.approval.expired, the Telegram message says so, a late approve is 409 and nothing is sent', async () => {
    const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/late'), response_data: { x: 1 }, client_id: 'c' });
    expect(res.status).toBe(202);
    const id = res.body.approval_id;
    await telegram.waitForCall('sendMessage', (b) => JSON.stringify(b).includes(id));
    // The sweeper expires it (every 5 s) and announces it.
    const expired = await waitFor(async () => {
      const events = await hub.http().get('/api/v1/events').query({ type: 'hub.approval.expired' }).set(auth);
      return events.body.data.find((e: { subject: string }) => e.subject === id);
    }, 30_000, 250);
    expect(expired?.data).toMatchObject({ approval_id: id, status: 'expired' });
    expect((await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body.status).toBe('expired');
    const edited = await telegram.waitForCall('editMessageText', (b) => String(b.text).includes(id));
    expect(edited.body.text).toMatch(/Expired .* never run/);
    const late = await hub.http().post(`/api/v1/approvals/${id}/approve`).set(auth).send({});
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/expired .* never run/);
    await sleep(1_000);
    expect(sink.received).toHaveLength(0);
  });

  it('lists by status, newest first, with a cursor that pages without repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/page'), response_data: { i }, client_id: 'c' });
      ids.push(res.body.approval_id);
    }
    await hub.http().post(`/api/v1/approvals/${ids[1]}/reject`).set(auth).send({});
    const first = await hub.http().get('/api/v1/approvals').query({ status: 'pending', limit: 2 }).set(auth);
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual([ids[4], ids[3]]);
    const second = await hub.http().get('/api/v1/approvals').query({ status: 'pending', limit: 2, cursor: first.body.nextCursor }).set(auth);
    expect(second.body.data.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[0]]);
    const rejected = await hub.http().get('/api/v1/approvals').query({ status: 'rejected' }).set(auth);
    expect(rejected.body.data.map((a: { id: string }) => a.id)).toEqual([ids[1]]);
    expect((await hub.http().get('/api/v1/approvals').query({ status: 'maybe' }).set(auth)).status).toBe(400);
  });

  it('stores an approval event a crash left in the outbox, once', async () => {
    const { ApprovalsRepository } = await import('../libs/approvals/src/approvals.repository');
    const { ApprovalsService } = await import('@hub/approvals');
    const repository = hub.app.get(ApprovalsRepository);
    const now = Date.now();
    const id = `apr_${'0'.repeat(10)}${'CRASHCRASHCRASHC'}`;
    // What request() does before a crash: the approval and its outbox entry exist, the event does not.
    await repository.create({ id, action: 'makecom.send_webhook_response', arguments: {}, summary: 'left by a crash', status: 'pending', requestedBy: { channel: 'rest' }, requestedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString() }, now, 'apr_0');
    const service = hub.app.get(ApprovalsService);
    expect(await service.announceLeftovers(0)).toBe(1);
    expect(await service.announceLeftovers(0)).toBe(0);
    const events = await hub.http().get('/api/v1/events').query({ type: 'hub.approval.requested' }).set(auth);
    expect(events.body.data.filter((e: { subject: string }) => e.subject === id)).toHaveLength(1);
  });
});

describe('crash safety: the same stream entry handled twice', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    sink = await new HttpSink().start();
    hub = await startHub('workflows-twice', { MAKE_COM_API_KEY: API_KEY, CCTELEGRAM_WEBHOOK_SECRET: CCT_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
  });
  afterAll(async () => {
    await hub?.close();
    await sink?.stop();
  });

  it('leaves one decision and one response when the worker re-runs the decision entry and the decided entry', async () => {
    const res = await hub.http().post('/api/v1/actions/send_webhook_response').set(auth).send({ response_url: sink.url('/twice'), response_data: { n: 1 }, client_id: 'c' });
    const id = res.body.approval_id as string;
    const body = userResponse(`resp_twice_${id}`, `approve_${id}`);
    expect((await hub.http().post('/webhook/responses').set(bridgeHeaders(body)).send(body)).status).toBeLessThan(300);
    expect(await waitFor(async () => sink.received.length === 1, 15_000)).toBe(true);

    // What a worker would see again after a crash before XACK: both stream entries, run through every handler.
    const { EventStreamConsumer } = await import('../apps/worker/src/event-stream.consumer');
    const consumer = hub.app.get(EventStreamConsumer);
    const page = await hub.http().get('/api/v1/events').query({ limit: 50 }).set(auth);
    const entries = (page.body.data as { type: string; subject?: string; data: { response?: { callback_data?: string } } }[]).filter(
      (e) => (e.type === 'hub.approval.decided' && e.subject === id) || e.data?.response?.callback_data === `approve_${id}`,
    );
    expect(entries.map((e) => e.type).sort()).toEqual(['cctelegram.user_response', 'hub.approval.decided']);
    await consumer.handleAgain(entries as never);
    await consumer.handleAgain(entries as never);
    await sleep(2_000);
    expect(sink.received).toHaveLength(1);
    const approval = (await hub.http().get(`/api/v1/approvals/${id}`).set(auth)).body;
    expect(approval.status).toBe('approved');
    const decided = await hub.http().get('/api/v1/events').query({ type: 'hub.approval.decided' }).set(auth);
    expect(decided.body.data.filter((e: { subject: string }) => e.subject === id)).toHaveLength(1);
    const deliveries = await hub.http().get('/api/v1/deliveries').query({ subscriptionId: approval.result.subscription_id }).set(auth);
    expect(deliveries.body.data).toHaveLength(1);
  });
});

describe('WEBHOOK_VALIDATION_ENABLED=false (loopback only)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('workflows-unsigned', { WEBHOOK_VALIDATION_ENABLED: 'false', HOST: '127.0.0.1' });
  });
  afterAll(() => hub?.close());

  it("accepts the seed's unsigned manual curl and answers the processed result; a wrong credential is still refused", async () => {
    const body = '{"client_id": "test-client", "action_id": "get_client_data", "task": {"id": "task_123", "name": "Test Task", "description": "Test description"}}';
    const res = await hub.http().post(SEED_ROUTE).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'processed', client_id: 'test-client', result: { knowledge_graph: { metadata: { node_counts: { Client: 1, Task: 1 } } } } });
    const wrong = await hub.http().post(SEED_ROUTE).set({ 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }).send(body);
    expect(wrong.status).toBe(401);
  });
});
