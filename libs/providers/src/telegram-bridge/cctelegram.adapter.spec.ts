import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError, hmacSha256Hex, sha256Hex } from '@hub/webhook-core';
import { CcTelegramAdapter } from './cctelegram.adapter';

const dir = join(__dirname, '../../../../test/fixtures/cctelegram');
const body = (name: string) => readFileSync(join(dir, `${name}.json`));
/** The fixture's headers, lower-cased as Node delivers them. */
const headers = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(dir, `${name}.headers.json`), 'utf8')) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));

const SECRET = 'cct_webhook_secret_example';
const VECTOR_TS = 1705401000;
const VECTOR_SIGNATURE = 'sha256=96ad02bdfc0b44ebd5bd1a741c8678ba1573292fc604b4dfbaab751ccafaba02';
const PRETTY_SIGNATURE = 'sha256=881e579be1232f9e3993334d8ede3ff8825dc428c5b0d87f912dbcb836fcc618';

/** An adapter whose clock reads `nowSeconds`. */
function adapterAt(nowSeconds: number, env: Record<string, string> = { CCTELEGRAM_WEBHOOK_SECRET: `cct_new_secret_2026,${SECRET}` }): CcTelegramAdapter {
  return new CcTelegramAdapter(loadHubConfig(env), () => nowSeconds * 1000);
}
const adapter = adapterAt(VECTOR_TS);

function request(rawBody: Buffer | string, hdrs: InboundRequest['headers'], route = 'events'): InboundRequest {
  return { route, rawBody: Buffer.from(rawBody), headers: hdrs, query: {} };
}

describe('CcTelegramAdapter.verify', () => {
  it('accepts the reference vector: sha256=96ad02bd... over the compact raw body', () => {
    const raw = body('vector-event-processed');
    expect(raw.toString()).toBe(
      '{"webhook_type":"event_processed","timestamp":"2025-01-15T10:30:00.000Z","event":{"id":"evt_abc123def456","type":"task_completion","status":"delivered"}}',
    );
    expect(hmacSha256Hex(SECRET, raw)).toBe(VECTOR_SIGNATURE.slice('sha256='.length));
    expect(headers('vector-event-processed')['x-cctelegram-signature']).toBe(VECTOR_SIGNATURE);
    expect(adapter.verify(request(raw, headers('vector-event-processed')))).toEqual({ ok: true, scheme: 'signature' });
  });

  it('verifies the pretty-printed bytes as sent, not JSON.stringify(req.body)', () => {
    const pretty = body('vector-event-processed-pretty');
    expect(pretty.toString()).toContain('\n  "event": {\n');
    const ts = { 'x-cctelegram-timestamp': String(VECTOR_TS) };
    expect(adapter.verify(request(pretty, { ...ts, 'x-cctelegram-signature': PRETTY_SIGNATURE }))).toEqual({ ok: true, scheme: 'signature' });
    // The signature a receiver that re-serialises the parsed body would expect: wrong for these bytes.
    expect(JSON.stringify(JSON.parse(pretty.toString()))).toBe(body('vector-event-processed').toString());
    expect(adapter.verify(request(pretty, { ...ts, 'x-cctelegram-signature': VECTOR_SIGNATURE }))).toEqual({
      ok: false,
      reason: 'invalid X-CCTelegram-Signature signature',
    });
  });

  it('accepts every secret of the rotation list', () => {
    const raw = body('vector-event-processed');
    const ts = { 'x-cctelegram-timestamp': String(VECTOR_TS) };
    expect(adapter.verify(request(raw, { ...ts, 'x-cctelegram-signature': `sha256=${hmacSha256Hex('cct_new_secret_2026', raw)}` })).ok).toBe(true);
    expect(adapter.verify(request(raw, { ...ts, 'x-cctelegram-signature': VECTOR_SIGNATURE })).ok).toBe(true);
  });

  describe('timestamp window (±300 s by default, both directions)', () => {
    const raw = body('vector-event-processed');
    const at = (nowSeconds: number, tolerance?: string) =>
      adapterAt(nowSeconds, { CCTELEGRAM_WEBHOOK_SECRET: SECRET, ...(tolerance ? { CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS: tolerance } : {}) }).verify(
        request(raw, headers('vector-event-processed')),
      );

    it('accepts the edges of the window', () => {
      expect(at(VECTOR_TS + 300).ok).toBe(true);
      expect(at(VECTOR_TS - 300).ok).toBe(true);
    });

    it('rejects a stale timestamp', () => {
      expect(at(VECTOR_TS + 301)).toEqual({ ok: false, reason: 'X-CCTelegram-Timestamp rejected: timestamp is 301s old (limit 300s)' });
    });

    it('rejects a future timestamp', () => {
      expect(at(VECTOR_TS - 301)).toEqual({ ok: false, reason: 'X-CCTelegram-Timestamp rejected: timestamp is 301s in the future (limit 300s)' });
    });

    it('honours CCTELEGRAM_TIMESTAMP_TOLERANCE_SECONDS', () => {
      expect(at(VECTOR_TS + 31, '30')).toEqual({ ok: false, reason: 'X-CCTelegram-Timestamp rejected: timestamp is 31s old (limit 30s)' });
      expect(at(VECTOR_TS + 30, '30').ok).toBe(true);
    });
  });

  it.each([
    ['no signature', { 'x-cctelegram-timestamp': String(VECTOR_TS) }, 'missing X-CCTelegram-Signature'],
    ['no timestamp', { 'x-cctelegram-signature': VECTOR_SIGNATURE }, 'missing X-CCTelegram-Timestamp (unix seconds)'],
    ['a bare hex signature', { 'x-cctelegram-timestamp': String(VECTOR_TS), 'x-cctelegram-signature': VECTOR_SIGNATURE.slice(7) }, 'malformed X-CCTelegram-Signature: expected sha256=<64 hex digits>'],
    ['a non-hex tail', { 'x-cctelegram-timestamp': String(VECTOR_TS), 'x-cctelegram-signature': `${VECTOR_SIGNATURE}zz` }, 'malformed X-CCTelegram-Signature: expected sha256=<64 hex digits>'],
    ['a signature joined ", "', { 'x-cctelegram-timestamp': String(VECTOR_TS), 'x-cctelegram-signature': `${VECTOR_SIGNATURE}, ${VECTOR_SIGNATURE}` }, 'malformed X-CCTelegram-Signature: expected sha256=<64 hex digits>'],
    ['a signature array', { 'x-cctelegram-timestamp': String(VECTOR_TS), 'x-cctelegram-signature': [VECTOR_SIGNATURE, VECTOR_SIGNATURE] }, 'X-CCTelegram-Signature was sent more than once'],
    ['a timestamp joined ", "', { 'x-cctelegram-timestamp': `${VECTOR_TS}, ${VECTOR_TS}`, 'x-cctelegram-signature': VECTOR_SIGNATURE }, 'X-CCTelegram-Timestamp rejected: timestamp is not unix seconds'],
    ['a timestamp array', { 'x-cctelegram-timestamp': [String(VECTOR_TS), String(VECTOR_TS)], 'x-cctelegram-signature': VECTOR_SIGNATURE }, 'X-CCTelegram-Timestamp was sent more than once'],
    ['an ISO timestamp', { 'x-cctelegram-timestamp': '2024-01-16T10:30:00Z', 'x-cctelegram-signature': VECTOR_SIGNATURE }, 'X-CCTelegram-Timestamp rejected: timestamp is not unix seconds'],
    ['a wrong secret', { 'x-cctelegram-timestamp': String(VECTOR_TS), 'x-cctelegram-signature': `sha256=${hmacSha256Hex('nope', body('vector-event-processed'))}` }, 'invalid X-CCTelegram-Signature signature'],
  ])('rejects %s with a clear reason', (_name, hdrs, reason) => {
    expect(adapter.verify(request(body('vector-event-processed'), hdrs as InboundRequest['headers']))).toEqual({ ok: false, reason });
  });

  it('never throws, whatever the input', () => {
    const odd: InboundRequest['headers'][] = [{}, { 'x-cctelegram-signature': '' }, { 'x-cctelegram-signature': 'sha256=' }, { 'x-cctelegram-signature': [] as unknown as string }];
    for (const hdrs of odd) expect(() => adapter.verify(request(Buffer.alloc(0), hdrs))).not.toThrow();
    const unconfigured = adapterAt(VECTOR_TS, {});
    expect(unconfigured.isConfigured()).toBe(false);
    expect(unconfigured.verify(request(body('vector-event-processed'), headers('vector-event-processed'))).ok).toBe(false);
  });
});

describe('CcTelegramAdapter.normalize', () => {
  const normalize = (name: string, route: string, extra: Record<string, string> = {}) => {
    const raw = body(name);
    return adapter.normalize(JSON.parse(raw.toString()), request(raw, { ...headers(name), ...extra }, route));
  };

  it('turns /webhook/events into cctelegram.event_processed keyed by event.id', () => {
    const [event] = normalize('doc-event-processed', 'events');
    expect(event).toMatchObject({
      type: 'cctelegram.event_processed',
      dedupeKey: 'event:evt_abc123def456',
      subject: '-1001234567890',
      occurredAt: '2025-01-15T10:30:00.000Z',
      data: { event: { title: 'Build Complete' }, bridge_info: { version: '1.4.0' } },
    });
    expect(event.meta).toBeUndefined();
    // The compact vector, the pretty one and the document's payload are one event.
    expect(normalize('vector-event-processed', 'events')[0].dedupeKey).toBe(event.dedupeKey);
    expect(normalize('vector-event-processed-pretty', 'events')[0].dedupeKey).toBe(event.dedupeKey);
  });

  it('turns /webhook/responses into cctelegram.user_response keyed by response.id, subject the chat', () => {
    const [event] = normalize('doc-user-response', 'responses');
    expect(event).toMatchObject({
      type: 'cctelegram.user_response',
      dedupeKey: 'response:resp_xyz789abc123',
      subject: '-1001234567890',
      occurredAt: '2025-01-15T10:31:00.000Z',
      data: { response: { callback_data: 'approve_deploy_prod_001' }, original_event: { type: 'approval_request' } },
    });
  });

  it('turns /webhook/health into cctelegram.health_update keyed by the raw body digest, without subject', () => {
    const [event] = normalize('doc-health-update', 'health');
    expect(event).toMatchObject({ type: 'cctelegram.health_update', dedupeKey: `health:${sha256Hex(body('doc-health-update'))}` });
    expect(event.subject).toBeUndefined();
  });

  it('records the retry headers in meta as integers and ignores malformed ones', () => {
    const [retried] = normalize('compact-event-processed-retry', 'events');
    expect(retried.meta).toEqual({ retryCount: 2, maxRetries: 3, originalTimestamp: 1705400993 });
    const [malformed] = normalize('compact-event-processed-retry', 'events', {
      'x-cctelegram-retry-count': 'two',
      'x-cctelegram-max-retries': '3, 3',
      'x-cctelegram-original-timestamp': '-5',
    });
    expect(malformed.meta).toBeUndefined();
    const arrays = adapter.normalize(JSON.parse(body('compact-event-processed-retry').toString()), request(body('compact-event-processed-retry'), {
      'x-cctelegram-retry-count': ['1', '2'],
      'x-cctelegram-max-retries': '3',
    }));
    expect(arrays[0].meta).toEqual({ maxRetries: 3 });
  });

  it('falls back to X-CCTelegram-Original-Timestamp, then X-CCTelegram-Timestamp, when the body has no timestamp', () => {
    const raw = '{"webhook_type":"event_processed","event":{"id":"evt_no_time","chat_id":-100200300}}';
    const withOriginal = adapter.normalize(JSON.parse(raw), request(raw, { 'x-cctelegram-timestamp': '1705401000', 'x-cctelegram-original-timestamp': '1705400993' }));
    expect(withOriginal[0]).toMatchObject({ occurredAt: 1705400993, subject: '-100200300', meta: { originalTimestamp: 1705400993 } });
    const firstAttempt = adapter.normalize(JSON.parse(raw), request(raw, { 'x-cctelegram-timestamp': '1705401000' }));
    expect(firstAttempt[0].occurredAt).toBe(1705401000);
  });

  const fields = (route: string, payload: unknown): string[] => {
    try {
      adapter.normalize(payload, request(JSON.stringify(payload), {}, route));
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      return (error as PayloadValidationError).errors.map((e) => e.field);
    }
    throw new Error('expected a PayloadValidationError');
  };

  it.each([
    ['an array body', 'events', [], ['body']],
    ['no webhook_type', 'events', { event: { id: 'e1' } }, ['webhook_type']],
    ['a numeric webhook_type', 'events', { webhook_type: 1, event: { id: 'e1' } }, ['webhook_type']],
    ['no event', 'events', { webhook_type: 'event_processed' }, ['event']],
    ['an empty event.id', 'events', { webhook_type: 'event_processed', event: { id: '' } }, ['event.id']],
    ['a numeric event.id', 'events', { webhook_type: 'event_processed', event: { id: 42 } }, ['event.id']],
    ['an object chat_id', 'events', { webhook_type: 'event_processed', event: { id: 'e1', chat_id: {} } }, ['event.chat_id']],
    ['a bad timestamp', 'events', { webhook_type: 'event_processed', timestamp: 'yesterday', event: { id: 'e1' } }, ['timestamp']],
    ['no response.id', 'responses', { webhook_type: 'user_response', response: { message: { chat_id: '1' } } }, ['response.id']],
    ['a string response.message', 'responses', { webhook_type: 'user_response', response: { id: 'r1', message: 'hi' } }, ['response.message']],
    ['no health', 'health', { webhook_type: 'health_update' }, ['health']],
    ['several problems', 'responses', { webhook_type: 7, timestamp: {}, response: [] }, ['webhook_type', 'timestamp', 'response']],
  ])('rejects %s naming the fields', (_name, route, payload, expected) => {
    expect(fields(route, payload)).toEqual(expected);
  });

  it('rejects a webhook_type sent to another route, saying which route takes it', () => {
    const payload = { webhook_type: 'user_response', response: { id: 'r1' } };
    try {
      adapter.normalize(payload, request(JSON.stringify(payload), {}, 'events'));
      throw new Error('expected a PayloadValidationError');
    } catch (error) {
      expect((error as PayloadValidationError).errors).toEqual([
        { field: 'webhook_type', message: 'must be "event_processed" on /webhook/events; got "user_response" (send it to /webhook/responses)' },
        { field: 'event', message: 'must be an object' },
      ]);
    }
    expect(fields('health', { webhook_type: 'event_processed', health: {} })).toEqual(['webhook_type']);
  });

  it('lists its three event types', () => {
    expect(adapter.eventTypes().map((t) => t.type)).toEqual(['cctelegram.event_processed', 'cctelegram.user_response', 'cctelegram.health_update']);
  });
});
