import { ADMIN_TOKEN, TestHub, fixture, sleep, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';
import { sha256Header } from './utils/signatures';

const SECRET = 'tavus_workflow_secret';
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface ToolResult {
  conversation_id: string;
  tool_call_id: string;
  tool_name: string | null;
  success: boolean;
  result?: Record<string, unknown>;
  error?: string;
  execution_time_ms: number;
}

function toolCalled(conversationId: string, callId: string, name: string, args: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ event_type: 'conversation.tool_called', conversation_id: conversationId, persona_id: 'persona_123456789', tool_call: { id: callId, type: 'function', function: { name, arguments: args } }, timestamp: '2024-01-15T10:32:00Z', ...extra });
}

describe('Tavus workflows: tool calls answered from the video catalogue, conversation read models, analytics', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient;
  let demo: { id: string; url: string };

  beforeAll(async () => {
    sink = await new HttpSink().start();
    hub = await startHub('tavus-workflows', { TAVUS_WEBHOOK_SECRET: SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    mcp = await connectMcp(hub);
    expect((await hub.http().post('/api/v1/subscriptions').set(auth).send({ url: sink.url('/ui'), events: ['tavus.tool_result'] })).status).toBe(201);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await hub?.close();
    await sink?.stop();
  });

  const send = async (body: string) => {
    const res = await hub.http().post('/api/tavus/webhook').set({ 'Content-Type': 'application/json', 'x-tavus-signature': sha256Header(SECRET, body) }).send(body);
    expect(res.status).toBeLessThan(300);
    return res;
  };
  const resultsFor = async (conversationId: string): Promise<ToolResult[]> => {
    const page = await hub.http().get('/api/v1/events').query({ type: 'tavus.tool_result', limit: 200 }).set(auth);
    return page.body.data.map((e: { data: ToolResult }) => e.data).filter((d: ToolResult) => d.conversation_id === conversationId);
  };
  const waitResults = async (conversationId: string, count: number) => {
    expect(await waitFor(async () => (await resultsFor(conversationId)).length >= count, 15_000)).toBe(true);
    return resultsFor(conversationId);
  };

  it('manages the video catalogue over REST, with field errors', async () => {
    const created = await hub.http().post('/api/v1/tavus/videos').set(auth).send({ title: 'Product Demo Overview', url: 'https://videos.example.com/demo.mp4', duration_seconds: 120, tags: ['demo', 'product'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^vid_/), title: 'Product Demo Overview', duration_seconds: 120, tags: ['demo', 'product'] });
    demo = created.body;
    const other = await hub.http().post('/api/v1/tavus/videos').set(auth).send({ title: 'Our Pricing Plans', url: 'https://videos.example.com/pricing.mp4' });
    expect(other.status).toBe(201);
    const patched = await hub.http().patch(`/api/v1/tavus/videos/${other.body.id}`).set(auth).send({ duration_seconds: 95 });
    expect(patched.body).toMatchObject({ title: 'Our Pricing Plans', duration_seconds: 95 });
    expect((await hub.http().get(`/api/v1/tavus/videos/${demo.id}`).set(auth)).body.title).toBe('Product Demo Overview');
    expect((await hub.http().get('/api/v1/tavus/videos').set(auth)).body.data).toHaveLength(2);
    const bad = await hub.http().post('/api/v1/tavus/videos').set(auth).send({ title: '', url: 'ftp://x', color: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body', 'title', 'url']);
    const temp = await hub.http().post('/api/v1/tavus/videos').set(auth).send({ title: 'Temporary', url: 'https://videos.example.com/t.mp4' });
    expect((await hub.http().delete(`/api/v1/tavus/videos/${temp.body.id}`).set(auth)).status).toBe(204);
    expect((await hub.http().get(`/api/v1/tavus/videos/${temp.body.id}`).set(auth)).status).toBe(404);
  });

  it("answers the document's fetch_video call: a tavus.tool_result reaches a subscriber's sink and an MCP session", async () => {
    await send(fixture('tavus', 'doc-conversation-tool-called.json').toString());
    const [result] = await waitResults('conv_123456789', 1);
    expect(result).toMatchObject({
      conversation_id: 'conv_123456789',
      tool_call_id: 'call_123456789',
      tool_name: 'fetch_video',
      success: true,
      result: { video_id: demo.id, video_url: 'https://videos.example.com/demo.mp4', title: 'Product Demo Overview', duration: 120 },
    });
    expect(typeof result.execution_time_ms).toBe('number');
    expect(await waitFor(async () => sink.received.some((r) => r.path === '/ui' && JSON.parse(r.body).data.tool_call_id === 'call_123456789'), 15_000)).toBe(true);
    expect(await waitFor(async () => mcp.logged.some((n) => n.data.type === 'tavus.tool_result'), 15_000)).toBe(true);
  });

  it('gives one error result each for no match, an unknown tool, bad arguments and an invalid CTA; a good CTA succeeds', async () => {
    const conversation = 'conv_errors_1';
    await send(toolCalled(conversation, 'call_nomatch', 'fetch_video', '{"video_title": "Quarterly Earnings Call"}'));
    await send(toolCalled(conversation, 'call_unknown', 'order_pizza', '{"size": "large"}'));
    await send(toolCalled(conversation, 'call_badjson', 'fetch_video', '{"video_title": '));
    await send(toolCalled(conversation, 'call_badcta', 'display_cta', '{"text": "Book a demo", "url": "javascript:alert(1)"}'));
    await send(toolCalled(conversation, 'call_cta', 'display_cta', '{"text": "Book a demo", "url": "https://example.com/book"}'));
    await send(toolCalled(conversation, 'call_words', 'fetch_video', '{"video_title": "pricing plans explained"}'));
    const byId = new Map((await waitResults(conversation, 6)).map((r) => [r.tool_call_id, r]));
    expect(byId.get('call_nomatch')).toMatchObject({ success: false, error: 'No video found matching: Quarterly Earnings Call' });
    expect(byId.get('call_unknown')).toMatchObject({ success: false, error: 'Unknown tool: order_pizza' });
    expect(byId.get('call_badjson')).toMatchObject({ success: false, error: expect.stringMatching(/^arguments is not valid JSON/) });
    expect(byId.get('call_badcta')).toMatchObject({ success: false, error: 'display_cta needs url: an http(s) URL' });
    expect(byId.get('call_cta')).toMatchObject({ success: true, result: { text: 'Book a demo', url: 'https://example.com/book' } });
    expect(byId.get('call_words')).toMatchObject({ success: true, result: { title: 'Our Pricing Plans', match: 'words' } });
    // Nothing went to the dead-event stream.
    expect(await hub.redis.xlen(`{${hub.config.prefix}}:events:dead`)).toBe(0);
  });

  it("refuses a sender's event posing as the hub's own tool result", async () => {
    const body = JSON.stringify({ event_type: 'tool_result', conversation_id: 'conv_fake', tool_call_id: 'call_fake', tool_name: 'fetch_video', success: true, result: { video_url: 'https://evil.example.com' } });
    const res = await hub.http().post('/api/tavus/webhook').set({ 'Content-Type': 'application/json', 'x-tavus-signature': sha256Header(SECRET, body) }).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'event_type', message: expect.stringMatching(/hub's own tool results/) }]);
    expect(await resultsFor('conv_fake')).toEqual([]);
  });

  it('answers a tool call delivered twice (other bytes) once', async () => {
    const conversation = 'conv_twice_1';
    await send(toolCalled(conversation, 'call_twice', 'fetch_video', '{"video_title": "product demo"}'));
    await send(toolCalled(conversation, 'call_twice', 'fetch_video', '{"video_title": "product demo"}', { timestamp: '2024-01-15T10:32:05Z' }));
    await waitResults(conversation, 1);
    await sleep(1_500);
    expect(await resultsFor(conversation)).toHaveLength(1);
  });

  it("builds the conversation read model from the document's full conversation; REST and MCP agree; the stats view adds analytics", async () => {
    for (const name of ['doc-conversation-updated', 'doc-conversation-message', 'doc-conversation-tool-result', 'doc-conversation-ended']) {
      await send(fixture('tavus', `${name}.json`).toString());
    }
    const message2 = JSON.stringify({ event_type: 'conversation.message', conversation_id: 'conv_123456789', message: { id: 'msg_2', role: 'assistant', content: 'Our plans start at $49.', timestamp: '2024-01-15T10:31:30Z' } });
    await send(message2);
    const read = async () => (await hub.http().get('/api/v1/tavus/conversations/conv_123456789').set(auth)).body;
    expect(await waitFor(async () => (await read()).messages?.total === 2 && (await read()).status === 'ended', 15_000)).toBe(true);
    const view = await read();
    expect(view).toMatchObject({
      conversation_id: 'conv_123456789',
      status: 'ended',
      persona_id: 'persona_123456789',
      participant_count: 2,
      started_at: '2024-01-15T10:30:00Z',
      ended_at: '2024-01-15T10:35:00Z',
      duration_seconds: 300,
      end_reason: 'user_left',
      messages: { total: 2, by_role: { user: 1, assistant: 1 } },
      analytics: { total_messages: 15, tool_calls: 3 },
      metadata: { demo_id: 'demo_123456789' },
    });
    expect(view.messages.items.map((m: { id: string }) => m.id)).toEqual(['msg_123456789', 'msg_2']);
    expect(view.tool_calls).toHaveLength(1);
    expect(view.tool_calls[0]).toMatchObject({
      id: 'call_123456789',
      name: 'fetch_video',
      success: true,
      result: { video_id: demo.id },
      reported_result: { success: true, video_id: 'video_123456789' },
    });
    // A late "updated: active" does not reopen an ended conversation.
    await send(JSON.stringify({ event_type: 'conversation.updated', conversation_id: 'conv_123456789', status: 'active', updated_at: '2024-01-15T10:36:00Z' }));
    await sleep(1_000);
    expect((await read()).status).toBe('ended');

    expect(toolJson(await mcp.client.callTool({ name: 'get_conversation', arguments: { conversation_id: 'conv_123456789' } }))).toEqual(await read());
    expect((await mcp.client.callTool({ name: 'get_conversation', arguments: { conversation_id: 'conv_nobody' } })).isError).toBe(true);
    expect((await hub.http().get('/api/v1/tavus/conversations/conv_nobody').set(auth)).status).toBe(404);

    const stats = (await hub.http().get('/api/tavus/webhook')).body;
    expect(stats.analytics).toMatchObject({
      conversations: { ended: 1 },
      messages_by_role: { user: 1, assistant: 1 },
      tool_calls: { fetch_video: { calls: expect.any(Number), succeeded: expect.any(Number) }, display_cta: { calls: 2, succeeded: 1, failed: 1, success_rate: 0.5 } },
      mean_duration_seconds: 300,
    });
    expect(stats.analytics.conversations.active).toBeGreaterThanOrEqual(2);
    expect(stats.analytics.mean_tool_execution_ms).toEqual(expect.any(Number));
    expect(stats.analytics.mean_processing_ms).toEqual(expect.any(Number));
  });

  it('sent no 500, and left no stream entry pending or dead', async () => {
    expect(hub.serverErrors).toEqual([]);
    const stream = `{${hub.config.prefix}}:events`;
    expect(await waitFor(async () => Number(((await hub.redis.xpending(stream, 'fanout')) as [number])[0]) === 0, 15_000)).toBe(true);
    expect(await hub.redis.xlen(`${stream}:dead`)).toBe(0);
  });
});
