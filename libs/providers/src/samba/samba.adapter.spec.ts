import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError, hmacSha256Hex, sha256Hex } from '@hub/webhook-core';
import { DigitalSambaAdapter } from './samba.adapter';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/digitalsamba', `${name}.json`));
// Reference §1.4: the token of the platform docs' create example.
const TOKEN = 'Asf#k$%lfCaPe93$a';
const SECRET = 'ds_document_secret_0123';

function adapterWith(env: Record<string, string>): DigitalSambaAdapter {
  return new DigitalSambaAdapter(loadHubConfig(env));
}
const adapter = adapterWith({ DIGITAL_SAMBA_WEBHOOK_TOKEN: `new-token-after-rotation,${TOKEN}`, DIGITAL_SAMBA_WEBHOOK_SECRET: `new-secret,${SECRET}` });

function request(rawBody: Buffer | string, headers: InboundRequest['headers'] = {}): InboundRequest {
  return { route: 'default', rawBody: Buffer.from(rawBody), headers, query: {} };
}

describe('DigitalSambaAdapter.verify', () => {
  const body = fixture('platform-participant-joined');

  it('accepts the platform bearer token (reference vector) and the bare token, from any place in the rotation list', () => {
    expect(adapter.verify(request(body, { authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, scheme: 'bearer' });
    expect(adapter.verify(request(body, { authorization: TOKEN }))).toEqual({ ok: true, scheme: 'bearer' });
    expect(adapter.verify(request(body, { authorization: 'bearer new-token-after-rotation' })).ok).toBe(true);
  });

  it('accepts a token registered with its "Bearer " prefix and sent verbatim', () => {
    const prefixed = adapterWith({ DIGITAL_SAMBA_WEBHOOK_TOKEN: 'Bearer your-shared-token' });
    expect(prefixed.verify(request(body, { authorization: 'Bearer your-shared-token' })).ok).toBe(true);
    expect(prefixed.verify(request(body, { authorization: 'Bearer Bearer your-shared-token' })).ok).toBe(true);
  });

  it('accepts the document HMAC with and without the sha256= prefix, with the old secret too', () => {
    const doc = fixture('document-session-started');
    const hex = hmacSha256Hex(SECRET, doc);
    expect(adapter.verify(request(doc, { 'x-digitalsamba-signature': `sha256=${hex}` }))).toEqual({ ok: true, scheme: 'signature' });
    expect(adapter.verify(request(doc, { 'x-digitalsamba-signature': hex.toUpperCase() })).ok).toBe(true);
    expect(adapter.verify(request(doc, { 'x-digitalsamba-signature': `sha256=${hmacSha256Hex('new-secret', doc)}` })).ok).toBe(true);
  });

  it('takes WEBHOOK_SECRET (the document name) when DIGITAL_SAMBA_WEBHOOK_SECRET is unset', () => {
    const seedNamed = adapterWith({ WEBHOOK_SECRET: SECRET });
    expect(seedNamed.isConfigured()).toBe(true);
    expect(seedNamed.verify(request(body, { 'x-digitalsamba-signature': hmacSha256Hex(SECRET, body) })).ok).toBe(true);
  });

  it.each([
    ['no credentials', {}, /^missing credentials: send Authorization: Bearer <DIGITAL_SAMBA_WEBHOOK_TOKEN> or X-DigitalSamba-Signature/],
    ['a wrong token', { authorization: 'Bearer nope' }, /^invalid Authorization token$/],
    ['an empty Authorization', { authorization: '' }, /^invalid Authorization token$/],
    ['Bearer without a token', { authorization: 'Bearer' }, /^invalid Authorization token$/],
    ['a token with a stray suffix', { authorization: `Bearer ${TOKEN}x` }, /^invalid Authorization token$/],
    ['a duplicated Authorization (array)', { authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] }, /^invalid Authorization token$/],
    ['a wrong-secret signature', { 'x-digitalsamba-signature': `sha256=${hmacSha256Hex('wrong', fixture('platform-participant-joined'))}` }, /^invalid X-DigitalSamba-Signature/],
    ['a truncated signature', { 'x-digitalsamba-signature': 'sha256=abc' }, /^malformed X-DigitalSamba-Signature/],
    ['a signature joined from a duplicated header', { 'x-digitalsamba-signature': `sha256=${'a'.repeat(64)}, sha256=${'b'.repeat(64)}` }, /^malformed/],
    ['a signature array', { 'x-digitalsamba-signature': [`sha256=${'a'.repeat(64)}`] }, /^malformed/],
    [
      'a right token beside a wrong signature',
      { authorization: `Bearer ${TOKEN}`, 'x-digitalsamba-signature': `sha256=${'0'.repeat(64)}` },
      /^invalid X-DigitalSamba-Signature/,
    ],
  ])('rejects %s with 401 and a reason, never throwing', (_name, headers, reason) => {
    const result = adapter.verify(request(body, headers as InboundRequest['headers']));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('records both schemes when both headers are present and valid', () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'x-digitalsamba-signature': `sha256=${hmacSha256Hex(SECRET, body)}` };
    expect(adapter.verify(request(body, headers))).toEqual({ ok: true, scheme: 'bearer+signature' });
  });

  it('fails closed per scheme and when nothing is configured', () => {
    const tokenOnly = adapterWith({ DIGITAL_SAMBA_WEBHOOK_TOKEN: TOKEN });
    expect(tokenOnly.verify(request(body, { 'x-digitalsamba-signature': hmacSha256Hex('', body) }))).toEqual({
      ok: false,
      reason: 'invalid X-DigitalSamba-Signature signature',
      detail: 'X-DigitalSamba-Signature is not accepted: DIGITAL_SAMBA_WEBHOOK_SECRET (or WEBHOOK_SECRET) is not set',
    });
    const secretOnly = adapterWith({ DIGITAL_SAMBA_WEBHOOK_SECRET: SECRET });
    expect(secretOnly.verify(request(body, { authorization: `Bearer ${TOKEN}` }))).toEqual({
      ok: false,
      reason: 'invalid Authorization token',
      detail: 'Authorization is not accepted: DIGITAL_SAMBA_WEBHOOK_TOKEN is not set',
    });
    expect(adapterWith({}).isConfigured()).toBe(false);
    expect(adapterWith({ DIGITAL_SAMBA_WEBHOOK_TOKEN: ' , ' }).isConfigured()).toBe(false);
  });
});

describe('DigitalSambaAdapter.normalize', () => {
  const normalize = (raw: Buffer | string) => adapter.normalize(JSON.parse(raw.toString()), request(raw));

  it('keys the reference payload by the composite vector and reads the platform fields', () => {
    const raw = fixture('platform-participant-joined');
    const [event] = normalize(raw);
    expect(event).toMatchObject({
      type: 'digitalsamba.participant_joined',
      dedupeKey: 'ba1dece165f84d35f227d582ec26f9dca11e561ed035a61ae3a8059fdcbf29ab',
      subject: '7f8c8eac-6643-47db-8d93-e7633e6e53ec',
      occurredAt: 1675790387,
    });
    expect(event.data).toMatchObject({
      eventType: 'participant_joined',
      event: 'participant_joined',
      roomId: '7f8c8eac-6643-47db-8d93-e7633e6e53ec',
      sessionId: '4fcc375c-e0ce-4f52-9b35-3a034042ab5a',
      participantId: '8b085f23-9a2a-465d-bdbb-73a233c7df90',
      data: { name: 'John Smith', role: 'moderator' },
    });
  });

  it('keys by sha256 of the exact bytes (reference vector 4d890c1f…) when a composite part is missing', () => {
    const raw = fixture('platform-participant-joined');
    const body = JSON.parse(raw.toString());
    delete body.data.participantId;
    const [event] = adapter.normalize(body, request(raw));
    expect(event.dedupeKey).toBe('4d890c1f9b74b664ba7a214aa20ae2d75bd5fdec714fcf93a2c754aacb18c2b9');

    const [ended] = normalize(fixture('platform-session-ended'));
    expect(ended.type).toBe('digitalsamba.session_ended');
    expect(ended.dedupeKey).toMatch(/^[0-9a-f]{64}$/);
    expect(ended.dedupeKey).not.toBe(event.dedupeKey);
  });

  it('reads the document format: dotted name, ISO timestamp, ids inside data', () => {
    const [started] = normalize(fixture('document-session-started'));
    expect(started).toMatchObject({
      type: 'digitalsamba.session.started',
      subject: 'c1d2e3f4-0a1b-4c2d-8e3f-5a6b7c8d9e0f',
      occurredAt: '2025-05-19T10:00:00Z',
      data: { event: 'session.started', roomId: 'c1d2e3f4-0a1b-4c2d-8e3f-5a6b7c8d9e0f', sessionId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d' },
    });
    const [joined] = normalize(fixture('document-participant-joined'));
    expect(joined.type).toBe('digitalsamba.participant.joined');
    expect(joined.dedupeKey).toBe(
      sha256Hex('participant.joined|9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d|c1d2e3f4-0a1b-4c2d-8e3f-5a6b7c8d9e0f|2025-05-19T10:01:30Z|p-42'),
    );
  });

  it('takes event_type too, accepts unknown well-formed names, and uses the session when there is no room', () => {
    const raw = '{"event_type":"whiteboard_opened","sessionId":"s-1","timestamp":1700000000}';
    const [event] = normalize(raw);
    expect(event).toMatchObject({ type: 'digitalsamba.whiteboard_opened', subject: 's-1', occurredAt: 1700000000 });
  });

  it('lists the 39 platform names and the 16 document names, each described once', () => {
    const types = adapter.eventTypes().map((t) => t.type);
    expect(types).toHaveLength(55);
    expect(new Set(types).size).toBe(55);
    expect(types).toEqual(expect.arrayContaining(['digitalsamba.participant_joined', 'digitalsamba.folder_deleted_from_library', 'digitalsamba.qa.answer']));
    expect(adapter.eventTypes().every((t) => t.description.length > 10)).toBe(true);
  });

  it.each([
    ['an array body', [], ['body']],
    ['a string body', 'participant_joined', ['body']],
    ['no event name', { timestamp: 1675790387, data: {} }, ['eventType']],
    ['a name with spaces', { eventType: 'participant joined' }, ['eventType']],
    ['a name of the wrong type', { event: 42 }, ['event']],
    ['a name that is too long', { eventType: `a${'b'.repeat(64)}` }, ['eventType']],
    ['a glob in the name', { eventType: 'participant_*' }, ['eventType']],
    [
      'every bad field at once',
      { eventType: 'ok_name', timestamp: 'yesterday', data: [1], roomId: 7, sessionId: '' },
      ['data', 'timestamp', 'roomId', 'sessionId'],
    ],
    ['a bad id inside data', { event: 'room.deleted', data: { room_id: { id: 1 } } }, ['data.room_id']],
    ['a boolean timestamp', { event: 'room.deleted', timestamp: true }, ['timestamp']],
  ])('rejects %s naming the fields', (_name, body, fields) => {
    try {
      adapter.normalize(body, request(JSON.stringify(body)));
      throw new Error('expected a PayloadValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      expect((error as PayloadValidationError).errors.map((e) => e.field)).toEqual(fields);
    }
  });
});
