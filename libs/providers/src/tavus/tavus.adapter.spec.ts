import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError, hmacSha256Hex, sha256Hex } from '@hub/webhook-core';
import { TavusAdapter, conversationCallbackKey } from './tavus.adapter';

const SECRET = 'tavus_hmac_secret_for_tests';
const TOKEN = 'tavus_url_token_for_tests';
const NEW_SECRET = 'tavus_hmac_secret_rotated_in';
const NEW_TOKEN = 'tavus_url_token_rotated_in';

/**
 * test/fixtures/tavus/<name>.json holds the exact body bytes, <name>.headers.json the headers its sender
 * sends (`{{hmac_sha256_hex}}` where the signature goes). `real-*` come from Tavus, which authenticates
 * with the `?t=` token in callback_url; the others are signed like the seed document.
 */
interface Fixture {
  body: string;
  headers: Record<string, string>;
  query: Record<string, string>;
}
function fixture(name: string): Fixture {
  const dir = join(__dirname, '../../../../test/fixtures/tavus');
  const body = readFileSync(join(dir, `${name}.json`), 'utf8');
  const template = JSON.parse(readFileSync(join(dir, `${name}.headers.json`), 'utf8')) as Record<string, string>;
  const headers = Object.fromEntries(Object.entries(template).map(([k, v]) => [k, v.replace('{{hmac_sha256_hex}}', hmacSha256Hex(SECRET, body))]));
  return { body, headers, query: name.startsWith('real-') ? { t: TOKEN } : {} };
}

const adapterWith = (env: Record<string, string>) => new TavusAdapter(loadHubConfig(env));
const adapter = adapterWith({ TAVUS_WEBHOOK_SECRET: `${NEW_SECRET},${SECRET}`, TAVUS_WEBHOOK_TOKEN: `${NEW_TOKEN},${TOKEN}` });

function request(rawBody: string | Buffer, headers: InboundRequest['headers'] = {}, query: Record<string, unknown> = {}): InboundRequest {
  return { route: 'default', rawBody: Buffer.from(rawBody), headers, query };
}

function fixtureRequest(name: string): InboundRequest {
  const f = fixture(name);
  return request(f.body, f.headers, f.query);
}

function normalizeFixture(name: string) {
  const req = fixtureRequest(name);
  return adapter.normalize(JSON.parse(req.rawBody.toString('utf8')), req);
}

describe('TavusAdapter.verify', () => {
  const body = fixture('doc-conversation-tool-called').body;

  it('accepts every fixture with the credentials its sender uses', () => {
    for (const name of ['real-system-shutdown', 'real-video-ready', 'doc-conversation-updated', 'doc-conversation-ended', 'interactions-tool-call']) {
      expect([name, adapter.verify(fixtureRequest(name)).ok]).toEqual([name, true]);
    }
  });

  it('accepts x-tavus-signature with and without the sha256= prefix, and the alternate tavus-signature header', () => {
    const hex = hmacSha256Hex(SECRET, body);
    expect(adapter.verify(request(body, { 'x-tavus-signature': `sha256=${hex}` }))).toEqual({ ok: true, scheme: 'signature' });
    expect(adapter.verify(request(body, { 'x-tavus-signature': hex.toUpperCase() }))).toEqual({ ok: true, scheme: 'signature' });
    expect(adapter.verify(request(body, { 'tavus-signature': `SHA256=${hex}` }))).toEqual({ ok: true, scheme: 'signature' });
  });

  it('verifies the exact bytes: the same JSON re-serialised does not match', () => {
    const f = fixture('real-system-shutdown');
    const hex = hmacSha256Hex(SECRET, f.body);
    expect(adapter.verify(request(f.body, { 'x-tavus-signature': hex })).ok).toBe(true);
    expect(adapter.verify(request(JSON.stringify(JSON.parse(f.body)), { 'x-tavus-signature': hex }))).toEqual({
      ok: false,
      reason: 'invalid x-tavus-signature signature',
    });
  });

  it('accepts the URL token, and both old and new entries of each rotation list', () => {
    expect(adapter.verify(request(body, {}, { t: TOKEN }))).toEqual({ ok: true, scheme: 'token' });
    expect(adapter.verify(request(body, {}, { t: NEW_TOKEN })).ok).toBe(true);
    expect(adapter.verify(request(body, { 'x-tavus-signature': hmacSha256Hex(NEW_SECRET, body) })).ok).toBe(true);
    expect(adapter.verify(request(body, { 'x-tavus-signature': hmacSha256Hex(SECRET, body) }, { t: TOKEN }))).toEqual({
      ok: true,
      scheme: 'signature+token',
    });
  });

  const valid = hmacSha256Hex(SECRET, body);
  it.each([
    ['no credentials', {}, {}, /^missing authentication/],
    ['a wrong secret', { 'x-tavus-signature': `sha256=${hmacSha256Hex('not-the-secret', body)}` }, {}, /^invalid x-tavus-signature signature$/],
    ['a truncated signature', { 'x-tavus-signature': 'sha256=abcd' }, {}, /^malformed x-tavus-signature/],
    ['a non-hex tail', { 'x-tavus-signature': `sha256=${valid}zz` }, {}, /^malformed x-tavus-signature/],
    ['a duplicated header joined with ", "', { 'x-tavus-signature': `sha256=${valid}, sha256=${valid}` }, {}, /^malformed/],
    ['a duplicated header as an array', { 'x-tavus-signature': [`sha256=${valid}`, `sha256=${valid}`] }, {}, /^malformed/],
    ['an empty signature header', { 'tavus-signature': '' }, {}, /^malformed tavus-signature/],
    ['a wrong token', {}, { t: 'guess' }, /^invalid t query parameter token$/],
    ['an empty token', {}, { t: '' }, /^invalid t query parameter/],
    ['a repeated t parameter', {}, { t: [TOKEN, TOKEN] }, /^malformed t query parameter/],
    ['a t parameter parsed as an object', {}, { t: { a: TOKEN } }, /^malformed t query parameter/],
    ['a bad signature beside a good token', { 'x-tavus-signature': hmacSha256Hex('wrong', body) }, { t: TOKEN }, /^invalid x-tavus-signature/],
    ['a good signature beside a bad token', { 'x-tavus-signature': valid }, { t: 'guess' }, /^invalid t query parameter/],
    ['one good and one bad signature header', { 'x-tavus-signature': valid, 'tavus-signature': '00'.repeat(32) }, {}, /^invalid tavus-signature/],
  ])('rejects %s, without throwing', (_name, headers, query, reason) => {
    const result = adapter.verify(request(body, headers as InboundRequest['headers'], query));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('never throws, whatever the headers, query or body hold', () => {
    const odd: unknown[] = [undefined, null, 0, '', ' ', 'sha256=', 'x'.repeat(100_000), [], [''], ['a', 'b'], {}, { t: 1 }, 'é'.repeat(64)];
    for (const value of odd) {
      const headers = { 'x-tavus-signature': value, 'tavus-signature': value } as unknown as InboundRequest['headers'];
      const query = Object.assign(Object.create(null) as Record<string, unknown>, { t: value });
      expect(() => adapter.verify(request(Buffer.from([0xff, 0x00]), headers, query))).not.toThrow();
      expect(adapter.verify(request('', headers, query)).ok).toBe(false);
    }
  });

  it('fails closed per scheme: a credential whose secret list is empty is refused', () => {
    const tokenOnly = adapterWith({ TAVUS_WEBHOOK_TOKEN: TOKEN });
    expect(tokenOnly.verify(request(body, { 'x-tavus-signature': hmacSha256Hex('', body) }, { t: TOKEN }))).toEqual({
      ok: false,
      reason: 'invalid x-tavus-signature signature',
      detail: 'x-tavus-signature is not accepted: TAVUS_WEBHOOK_SECRET is not set',
    });
    const secretOnly = adapterWith({ TAVUS_WEBHOOK_SECRET: SECRET });
    expect(secretOnly.verify(request(body, { 'x-tavus-signature': valid }, { t: '' }))).toEqual({
      ok: false,
      reason: 'invalid t query parameter token',
      detail: 'the t query parameter is not accepted: TAVUS_WEBHOOK_TOKEN is not set',
    });
    expect(adapterWith({}).isConfigured()).toBe(false);
    expect(tokenOnly.isConfigured()).toBe(true);
  });
});

describe('TavusAdapter.normalize', () => {
  it('keys a conversation callback by sha256("<conversation_id>|<event_type>"), the reference vector', () => {
    expect(conversationCallbackKey('c123456', 'system.shutdown')).toBe('679dd8438f3d8a15fd6f383e8c62658c06ef4b156d3a0d1809406fcf8c365b96');
    const [event] = normalizeFixture('real-system-shutdown');
    expect(event).toMatchObject({
      type: 'tavus.system.shutdown',
      dedupeKey: '679dd8438f3d8a15fd6f383e8c62658c06ef4b156d3a0d1809406fcf8c365b96',
      subject: 'c123456',
      occurredAt: '2025-07-11T06:48:37.566057Z',
      data: { properties: { shutdown_reason: 'participant_left_timeout' }, message_type: 'system' },
    });
  });

  it('gives a retried callback with different bytes the same key', () => {
    const f = fixture('real-transcription-ready');
    const compact = JSON.stringify(JSON.parse(f.body));
    const [a] = adapter.normalize(JSON.parse(f.body), request(f.body));
    const [b] = adapter.normalize(JSON.parse(compact), request(compact));
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(a.dedupeKey).toBe(conversationCallbackKey('c123456', 'application.transcription_ready'));
  });

  it('maps each real callback to tavus.<event_type> with the conversation as subject', () => {
    const names = ['real-system-replica-joined', 'real-transcription-ready', 'real-recording-ready', 'real-perception-analysis'];
    expect(names.map((n) => normalizeFixture(n)[0]).map((e) => [e.type, e.subject])).toEqual([
      ['tavus.system.replica_joined', 'c123456'],
      ['tavus.application.transcription_ready', 'c123456'],
      ['tavus.application.recording_ready', 'c123456'],
      ['tavus.application.perception_analysis', 'c123456'],
    ]);
  });

  it('masks the URL token Tavus echoes in webhook_url and callback_url', () => {
    const [callback] = normalizeFixture('real-system-shutdown');
    expect((callback.data as { webhook_url: string }).webhook_url).toBe('https://hub.example.com/api/tavus/webhook?t=[redacted]');
    const [video] = normalizeFixture('real-video-ready');
    expect((video.data as { callback_url: string }).callback_url).toBe('https://hub.example.com/api/tavus/webhook?t=[redacted]');
    expect(JSON.stringify([callback, video])).not.toContain(TOKEN);
  });

  it('keys replica training callbacks by (replica_id, status) and video callbacks by (video_id, status)', () => {
    const [ready] = normalizeFixture('real-replica-training-ready');
    expect(ready).toMatchObject({ type: 'tavus.replica.ready', subject: 'r79e1c033f', dedupeKey: `replica:${sha256Hex('r79e1c033f|ready')}` });
    expect(ready.occurredAt).toBeUndefined();
    const [error] = normalizeFixture('real-replica-training-error');
    expect(error).toMatchObject({ type: 'tavus.replica.error', dedupeKey: `replica:${sha256Hex('r4a7c2d1e9|error')}` });
    // The video object carries replica_id too; video_id decides.
    const [video] = normalizeFixture('real-video-ready');
    expect(video).toMatchObject({
      type: 'tavus.video.ready',
      subject: '783a5b3bbb',
      dedupeKey: `video:${sha256Hex('783a5b3bbb|ready')}`,
      occurredAt: 'Fri, 11 Jul 2025 06:34:12 GMT',
    });
  });

  it('keys the document events and unknown callbacks by the sha256 of the raw body', () => {
    for (const name of ['doc-conversation-updated', 'doc-conversation-tool-called', 'real-post-call-action', 'interactions-tool-call']) {
      const [event] = normalizeFixture(name);
      expect([name, event.dedupeKey]).toEqual([name, `body:${sha256Hex(fixture(name).body)}`]);
    }
    // A conversation callback without conversation_id has no pair to key by.
    const raw = '{"event_type":"system.shutdown"}';
    expect(adapter.normalize(JSON.parse(raw), request(raw))[0].dedupeKey).toBe(`body:${sha256Hex(raw)}`);
  });

  it('takes occurredAt from timestamp, updated_at, ended_at or message.timestamp', () => {
    const at = (name: string) => normalizeFixture(name)[0];
    expect(at('doc-conversation-updated')).toMatchObject({ type: 'tavus.conversation.updated', subject: 'conv_123456789', occurredAt: '2024-01-15T10:35:00Z' });
    expect(at('doc-conversation-ended')).toMatchObject({ type: 'tavus.conversation.ended', occurredAt: '2024-01-15T10:35:00Z' });
    expect(at('doc-conversation-tool-called')).toMatchObject({ type: 'tavus.conversation.tool_called', occurredAt: '2024-01-15T10:32:00Z' });
    expect(at('doc-conversation-message')).toMatchObject({ type: 'tavus.conversation.message', occurredAt: '2024-01-15T10:31:00Z' });
    expect(at('doc-conversation-tool-result')).toMatchObject({ type: 'tavus.conversation.tool_result', occurredAt: undefined });
  });

  it('accepts an unknown but safe event type as tavus.<event_type>', () => {
    const raw = '{"event_type":"application.guardrail_triggered","conversation_id":"c9","properties":{"guardrail":"no_pricing"}}';
    const [event] = adapter.normalize(JSON.parse(raw), request(raw));
    expect(event).toMatchObject({ type: 'tavus.application.guardrail_triggered', subject: 'c9', dedupeKey: `body:${sha256Hex(raw)}` });
  });

  it.each([
    ['an array body', [], ['body']],
    ['a string body', 'system.shutdown', ['body']],
    ['no event_type and no replica/video id', { conversation_id: 'c1' }, ['event_type']],
    ['a numeric event_type and conversation_id', { event_type: 42, conversation_id: 7 }, ['event_type', 'conversation_id']],
    ['an empty conversation_id', { event_type: 'system.shutdown', conversation_id: '' }, ['conversation_id']],
    ['an event_type with a glob character', { event_type: 'system.*' }, ['event_type']],
    ['an event_type with spaces', { event_type: 'system shutdown' }, ['event_type']],
    ['an event_type with an empty segment', { event_type: 'system..shutdown' }, ['event_type']],
    ['an overlong event_type', { event_type: 'a'.repeat(101) }, ['event_type']],
    ['properties not an object', { event_type: 'system.shutdown', conversation_id: 'c1', properties: 'x' }, ['properties']],
    ['an object timestamp', { event_type: 'system.shutdown', timestamp: { s: 1 } }, ['timestamp']],
    ['a replica callback without status', { replica_id: 'r1' }, ['status']],
    ['a replica callback with a numeric id', { replica_id: 1, status: 'ready' }, ['replica_id']],
    ['a video callback with an unsafe status', { video_id: 'v1', status: 'ready.now' }, ['status']],
  ])('rejects %s naming the fields', (_name, body, fields) => {
    try {
      adapter.normalize(body, request(JSON.stringify(body)));
      throw new Error('expected a PayloadValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      expect((error as PayloadValidationError).errors.map((e) => e.field)).toEqual(fields);
    }
  });

  it('lists its event types with descriptions', () => {
    const types = adapter.eventTypes();
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(['tavus.system.shutdown', 'tavus.replica.ready', 'tavus.video.ready', 'tavus.conversation.tool_called']));
    expect(types.every((t) => t.type.startsWith('tavus.') && t.description.length > 10)).toBe(true);
  });
});
