import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpSessionRegistry } from '@hub/mcp';
import { RedisKeys } from '@hub/store';
import { ADMIN_TOKEN, TestHub, startHub, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { mcpUrl } from './utils/mcp-client';

jest.setTimeout(20_000);

const GET_STREAM = '_GET_stream';

interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** One event pushed as notifications/message: its SSE id and the hub event in params.data. */
interface Pushed {
  sseId?: string;
  eventId: string;
}

/** Every stream the suite opened, so a failing test leaves none open behind it. */
const openReaders = new Set<SseReader>();

/** Reads an SSE body frame by frame (`id:`, `event:`, `data:` lines; comments are keep-alives). */
class SseReader {
  readonly frames: SseFrame[] = [];
  private buffer = '';
  /** Everything received, as text. */
  raw = '';
  readonly finished: Promise<void>;

  constructor(
    readonly response: Response,
    private readonly abortController: AbortController,
  ) {
    this.finished = this.pump();
    openReaders.add(this);
  }

  /** The notifications/message frames, in arrival order. */
  pushed(): Pushed[] {
    const out: Pushed[] = [];
    for (const frame of this.frames) {
      if (!frame.data) continue;
      const message = JSON.parse(frame.data) as { method?: string; params?: { data?: { id?: string } } };
      if (message.method === 'notifications/message' && message.params?.data?.id) out.push({ sseId: frame.id, eventId: message.params.data.id });
    }
    return out;
  }

  /** The whole body, for answers that are not streams (errors). */
  async text(): Promise<string> {
    await this.finished;
    return this.raw;
  }

  /** Cuts the connection, as a network drop would. */
  async cut(): Promise<void> {
    this.abortController.abort();
    await this.finished;
    openReaders.delete(this);
  }

  private async pump(): Promise<void> {
    if (!this.response.body) return;
    const reader = this.response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        this.raw += text;
        this.buffer += text;
        this.drain();
      }
    } catch {
      // aborted by cut()
    }
  }

  private drain(): void {
    for (let end = this.buffer.search(/\r?\n\r?\n/); end >= 0; end = this.buffer.search(/\r?\n\r?\n/)) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const frame: SseFrame = { data: '' };
      const data: string[] = [];
      let any = false;
      for (const line of block.split(/\r?\n/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        any = true;
        if (field === 'id') frame.id = value;
        else if (field === 'event') frame.event = value;
        else if (field === 'data') data.push(value);
      }
      frame.data = data.join('\n');
      if (any) this.frames.push(frame);
    }
  }
}

/** An MCP session driven with plain fetch: initialize, notifications/initialized, GET streams. */
class RawSession {
  sessionId = '';

  constructor(private readonly hub: TestHub) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(this.sessionId ? { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION } : {}),
      ...extra,
    };
  }

  async post(message: object): Promise<Response> {
    return fetch(mcpUrl(this.hub), {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }),
      body: JSON.stringify(message),
    });
  }

  /** initialize (answered on an SSE response) then notifications/initialized (202). */
  async open(): Promise<this> {
    const init = await this.post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'resume-e2e', version: '1' } },
    });
    expect(init.status).toBe(200);
    this.sessionId = init.headers.get('mcp-session-id') ?? '';
    expect(this.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const result = sseMessages(await init.text()).find((m) => (m as { id?: number }).id === 1) as { result?: { protocolVersion?: string } };
    expect(result?.result?.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    const initialized = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(initialized.status).toBe(202);
    return this;
  }

  /** GET /mcp (the standalone notification stream), optionally resuming after lastEventId. */
  async stream(lastEventId?: string): Promise<SseReader> {
    const abort = new AbortController();
    const response = await fetch(mcpUrl(this.hub), {
      method: 'GET',
      headers: this.headers({ accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) }),
      signal: abort.signal,
    });
    return new SseReader(response, abort);
  }

  async close(): Promise<void> {
    await fetch(mcpUrl(this.hub), { method: 'DELETE', headers: this.headers() }).catch(() => undefined);
  }
}

/** The JSON-RPC messages of a complete SSE body (priming events have no data). */
function sseMessages(body: string): unknown[] {
  return body
    .split(/\r?\n\r?\n/)
    .map((block) => block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
    .filter((data) => data.length > 0)
    .map((data) => JSON.parse(data));
}

describe('MCP resumability: Last-Event-ID replays what a dropped GET stream missed', () => {
  let hub: TestHub;
  let keys: RedisKeys;

  beforeAll(async () => {
    hub = await startHub('mcp-resume', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
    keys = new RedisKeys(hub.config.prefix);
  });
  afterAll(async () => {
    for (const reader of [...openReaders]) await reader.cut();
    await hub.close();
  });

  /** The event ids the hub stored for one session's standalone stream, with their SSE event ids. */
  async function stored(sessionId: string): Promise<{ sseId: string; eventId: string }[]> {
    const rows = (await hub.redis.xrange(keys.mcpStream(sessionId, GET_STREAM), '-', '+')) as [string, string[]][];
    return rows
      .map(([entryId, fields]) => ({ entryId, message: JSON.parse(fields[fields.indexOf('m') + 1]) as { method?: string; params?: { data?: { id?: string } } } }))
      .filter((r) => r.message.method === 'notifications/message')
      .map((r) => ({ sseId: `${Buffer.from(GET_STREAM).toString('base64url')}.${r.entryId}`, eventId: r.message.params?.data?.id ?? '' }));
  }

  /**
   * Waits until the hub saw a cut GET stream close. Until then the SDK transport still holds the stream
   * and answers a resume for it 409 ("Stream already has an active connection").
   */
  async function released(sessionId: string): Promise<void> {
    const registry = hub.app.get(McpSessionRegistry);
    expect(await waitFor(async () => registry.get(sessionId)?.openStreams === 0, 5_000, 5)).toBe(true);
    await new Promise((r) => setImmediate(r));
  }

  it('raw fetch: after a cut, GET with Last-Event-ID gets the two missed events in order, not the seen one, then live ones', async () => {
    const session = await new RawSession(hub).open();
    const first = await session.stream();
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('content-type')).toContain('text/event-stream');

    const e1 = await ingestBridgeEvent(hub, 'message.received', { id: 'resume-1' });
    expect(await waitFor(async () => first.pushed().some((p) => p.eventId === e1), 5_000, 10)).toBe(true);
    const lastFrame = first.frames.at(-1)!;
    const lastId = lastFrame.id!;
    // The id names its stream: <base64url "_GET_stream">.<redis entry id>.
    expect(lastId).toMatch(/^[A-Za-z0-9_-]+\.\d+-\d+$/);
    expect(Buffer.from(lastId.split('.')[0], 'base64url').toString('utf8')).toBe(GET_STREAM);
    expect(first.pushed().map((p) => p.eventId)).toEqual([e1]);
    await first.cut();
    await released(session.sessionId);

    const e2 = await ingestBridgeEvent(hub, 'message.received', { id: 'resume-2' });
    const e3 = await ingestBridgeEvent(hub, 'presence.update', { id: 'resume-3' });
    // Both were sent to the session while nobody listened: they must be in its event store.
    expect(await waitFor(async () => (await stored(session.sessionId)).filter((s) => s.eventId === e2 || s.eventId === e3).length === 2, 5_000, 20)).toBe(true);
    expect(first.pushed().map((p) => p.eventId)).toEqual([e1]);

    const resumed = await session.stream(lastId);
    expect(resumed.response.status).toBe(200);
    expect(resumed.response.headers.get('content-type')).toContain('text/event-stream');
    expect(await waitFor(async () => resumed.pushed().length >= 2, 5_000, 10)).toBe(true);
    const replayed = resumed.pushed();
    expect(replayed.map((p) => p.eventId)).toEqual([e2, e3]);
    // Replayed with their own ids (so a second drop can resume again), after the last one seen.
    const expectedIds = (await stored(session.sessionId)).filter((s) => s.eventId !== e1).map((s) => s.sseId);
    expect(replayed.map((p) => p.sseId)).toEqual(expectedIds);

    // The resumed stream is the session's notification stream now: live events keep coming on it.
    const e4 = await ingestBridgeEvent(hub, 'message.received', { id: 'resume-4' });
    expect(await waitFor(async () => resumed.pushed().some((p) => p.eventId === e4), 5_000, 10)).toBe(true);
    expect(resumed.pushed().map((p) => p.eventId)).toEqual([e2, e3, e4]);

    // A second drop resumes from the replayed/live ids just the same.
    const afterE4 = resumed.frames.at(-1)!.id!;
    await resumed.cut();
    await released(session.sessionId);
    const e5 = await ingestBridgeEvent(hub, 'message.received', { id: 'resume-5' });
    expect(await waitFor(async () => (await stored(session.sessionId)).some((s) => s.eventId === e5), 5_000, 20)).toBe(true);
    const again = await session.stream(afterE4);
    expect(again.response.status).toBe(200);
    expect(await waitFor(async () => again.pushed().length >= 1, 5_000, 10)).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(again.pushed().map((p) => p.eventId)).toEqual([e5]);
    await again.cut();
    await session.close();
  });

  it('an unknown or malformed Last-Event-ID never answers 500 and leaves the session usable', async () => {
    const session = await new RawSession(hub).open();
    const b64 = (s: string) => Buffer.from(s).toString('base64url');

    // Not an event id at all: the store cannot name its stream, the SDK answers 400.
    const garbage = await session.stream('not-an-event-id');
    expect(garbage.response.status).toBe(400);
    expect(JSON.parse(await garbage.text())).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: 'Invalid event ID format' } });

    // A real event id, but from another session (used further down).
    const other = await new RawSession(hub).open();
    const otherStream = await other.stream();
    const seenByOther = await ingestBridgeEvent(hub, 'message.received', { id: 'unknown-0' });
    expect(await waitFor(async () => otherStream.pushed().some((p) => p.eventId === seenByOther), 5_000, 10)).toBe(true);
    const foreignId = otherStream.frames.at(-1)!.id!;
    await otherStream.cut();
    await other.close();

    // A well-formed id far in the future of this session's stream: nothing to replay, live events flow.
    const future = await session.stream(`${b64(GET_STREAM)}.9999999999999999-0`);
    expect(future.response.status).toBe(200);
    const live = await ingestBridgeEvent(hub, 'message.received', { id: 'unknown-1' });
    expect(await waitFor(async () => future.pushed().some((p) => p.eventId === live), 5_000, 10)).toBe(true);
    expect(future.pushed().map((p) => p.eventId)).toEqual([live]);
    await future.cut();
    await released(session.sessionId);

    // Another session's id only ever replays this session's own messages (ids are not a way into
    // someone else's stream): here those stored after that entry id.
    const foreign = await session.stream(foreignId);
    expect(foreign.response.status).toBe(200);
    expect(await waitFor(async () => foreign.pushed().some((p) => p.eventId === live), 5_000, 10)).toBe(true);
    const own = (await stored(session.sessionId)).map((s) => s.sseId);
    expect(foreign.pushed().length).toBeGreaterThan(0);
    for (const p of foreign.pushed()) expect(own).toContain(p.sseId);
    await foreign.cut();
    await released(session.sessionId);

    // A stream the session never had: a 200 stream with nothing to replay, no crash.
    const nowhere = await session.stream(`${b64('no-such-stream')}.1-0`);
    expect(nowhere.response.status).toBe(200);
    await nowhere.cut();
    await released(session.sessionId);

    // Oversized / odd ids.
    for (const id of ['x'.repeat(5_000), '.', `${b64(GET_STREAM)}.`, `${b64(GET_STREAM)}.1-2-3`, `${b64(GET_STREAM)}.99999999999999999999-0`]) {
      const odd = await session.stream(id);
      expect(odd.response.status).toBe(400);
      await odd.cut();
    }

    // The session still answers requests and its plain GET stream still works.
    const list = await session.post({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
    expect(list.status).toBe(200);
    expect(sseMessages(await list.text())).toEqual([expect.objectContaining({ id: 7, result: expect.objectContaining({ tools: expect.any(Array) }) })]);
    const plain = await session.stream();
    expect(plain.response.status).toBe(200);
    const after = await ingestBridgeEvent(hub, 'message.received', { id: 'unknown-2' });
    expect(await waitFor(async () => plain.pushed().some((p) => p.eventId === after), 5_000, 10)).toBe(true);
    await plain.cut();
    await session.close();
  });

  it('the SDK client reconnects its GET stream with Last-Event-ID and receives what it missed', async () => {
    const getLastEventIds: (string | null)[] = [];
    const cuts: AbortController[] = [];
    let gate: Promise<void> | undefined;
    // The SDK's real transport over a fetch that lets the test cut the GET connection and hold the reconnect.
    const fetchFn = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      if (init?.method !== 'GET') return fetch(url, init);
      getLastEventIds.push(new Headers(init.headers).get('last-event-id'));
      if (gate) await gate;
      const cut = new AbortController();
      cuts.push(cut);
      return fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal });
    };
    const client = new Client({ name: 'resume-sdk-e2e', version: '1.0.0' });
    const logged: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push((n.params.data as { id: string }).id);
    });
    client.onerror = () => undefined; // the cut surfaces here ("SSE stream disconnected")
    const transport = new StreamableHTTPClientTransport(mcpUrl(hub), {
      requestInit: { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } },
      fetch: fetchFn,
      reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 },
    });
    await client.connect(transport);
    expect(await waitFor(async () => cuts.length === 1, 5_000, 10)).toBe(true);
    const sessionId = transport.sessionId!;

    const e1 = await ingestBridgeEvent(hub, 'message.received', { id: 'sdk-1' });
    expect(await waitFor(async () => logged.includes(e1), 5_000, 10)).toBe(true);

    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    cuts[0].abort();
    // The client tries to reconnect (held at the gate) while two events go by.
    expect(await waitFor(async () => getLastEventIds.length === 2, 5_000, 10)).toBe(true);
    const e2 = await ingestBridgeEvent(hub, 'message.received', { id: 'sdk-2' });
    const e3 = await ingestBridgeEvent(hub, 'message.received', { id: 'sdk-3' });
    expect(await waitFor(async () => (await stored(sessionId)).filter((s) => s.eventId === e2 || s.eventId === e3).length === 2, 5_000, 20)).toBe(true);
    expect(logged).toEqual([e1]);
    release();

    expect(await waitFor(async () => logged.includes(e3), 5_000, 10)).toBe(true);
    expect(logged).toEqual([e1, e2, e3]);
    // It resumed from the id of the last event it had seen (e1's).
    const e1Id = (await stored(sessionId)).find((s) => s.eventId === e1)!.sseId;
    expect(getLastEventIds).toEqual([null, e1Id]);

    const e4 = await ingestBridgeEvent(hub, 'message.received', { id: 'sdk-4' });
    expect(await waitFor(async () => logged.includes(e4), 5_000, 10)).toBe(true);
    expect(logged).toEqual([e1, e2, e3, e4]);
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
