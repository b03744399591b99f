import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError, hmacSha256Hex } from '@hub/webhook-core';
import { WhatsAppAdapter } from './whatsapp.adapter';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/whatsapp', name));
const APP_SECRET = 'test_app_secret_0123456789abcdef';
const BRIDGE_SECRET = 'wa_mcp_webhook_secret';

function adapterWith(env: Record<string, string>): WhatsAppAdapter {
  return new WhatsAppAdapter(loadHubConfig(env));
}
const adapter = adapterWith({ WHATSAPP_APP_SECRET: `rotated-new,${APP_SECRET}`, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });

function request(rawBody: Buffer | string, headers: InboundRequest['headers']): InboundRequest {
  return { route: 'default', rawBody: Buffer.from(rawBody), headers, query: {} };
}

describe('WhatsAppAdapter.verify', () => {
  it('accepts the reference Meta vector (App Secret, raw body) and asks for a 200 ack', () => {
    const req = request(fixture('meta-text-message.json'), {
      'x-hub-signature-256': 'sha256=01591d62415526782fc0a31b8faa3c8d903868b8db037a95ee396498731c8df9',
    });
    expect(adapter.verify(req)).toEqual({ ok: true, scheme: 'meta', ackStatus: 200 });
  });

  it('verifies the escaped-unicode wire bytes, not a re-serialisation of them', () => {
    const wire = '{"text":{"body":"J\\u0027ai mang\\u00e9 des p\\u00e2tes \\/ ok"}}';
    const ok = request(wire, { 'x-hub-signature-256': 'sha256=f52d4d6fc4900953c86243f4fce00b57de29e93c736c82ff96ca92825846e7cf' });
    const reserialised = request(wire, {
      'x-hub-signature-256': 'sha256=b284bc915a4882a7f2d63941a7b94b2e354c95fa8644659f9e4248d84c521b3a',
    });
    expect(adapter.verify(ok).ok).toBe(true);
    expect(adapter.verify(reserialised)).toEqual({ ok: false, reason: 'invalid X-Hub-Signature-256 signature' });
  });

  it('accepts the bridge vector with and without the sha256= prefix', () => {
    const body = fixture('bridge-message-received.json');
    const hex = '76beb5608ac90686259b602f26f3e39be4d7cbadea83d12c4479edc819e1758f';
    expect(adapter.verify(request(body, { 'x-webhook-signature': `sha256=${hex}` }))).toEqual({ ok: true, scheme: 'bridge' });
    expect(adapter.verify(request(body, { 'x-webhook-signature': hex })).ok).toBe(true);
  });

  it.each([
    ['missing signature', {}, /^missing signature/],
    ['truncated', { 'x-hub-signature-256': 'sha256=01591d62' }, /^malformed X-Hub-Signature-256/],
    ['non-hex tail', { 'x-hub-signature-256': 'sha256=01591d62415526782fc0a31b8faa3c8d903868b8db037a95ee396498731c8df9zz' }, /^malformed/],
    ['duplicated header', { 'x-hub-signature-256': ['sha256=01591d62415526782fc0a31b8faa3c8d903868b8db037a95ee396498731c8df9', 'sha256=00'] }, /^malformed/],
    ['wrong secret', { 'x-hub-signature-256': `sha256=${hmacSha256Hex('not-the-secret', fixture('meta-text-message.json'))}` }, /^invalid/],
  ])('rejects %s', (_name, headers, reason) => {
    const result = adapter.verify(request(fixture('meta-text-message.json'), headers as InboundRequest['headers']));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('fails closed per scheme: a bridge signature is refused when only the App Secret is set', () => {
    const metaOnly = adapterWith({ WHATSAPP_APP_SECRET: APP_SECRET });
    const body = fixture('bridge-message-received.json');
    const result = metaOnly.verify(request(body, { 'x-webhook-signature': hmacSha256Hex('', body) }));
    expect(result).toEqual({ ok: false, reason: 'invalid X-Webhook-Signature signature', detail: 'X-Webhook-Signature is not accepted: WHATSAPP_WEBHOOK_SECRET is not set' });
    expect(adapterWith({}).isConfigured()).toBe(false);
  });
});

describe('WhatsAppAdapter.normalize', () => {
  const normalize = (name: string) => {
    const raw = fixture(name);
    return adapter.normalize(JSON.parse(raw.toString()), request(raw, {}));
  };

  it('makes one event per message and per status, each with its own dedupe key', () => {
    const events = normalize('meta-two-messages-one-status.json');
    expect(events.map((e) => [e.type, e.dedupeKey, e.subject])).toEqual([
      ['whatsapp.message.received', 'wamid:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ0MUFBQkJDQ0RERUVGRjAwMTEA', '16505551234'],
      ['whatsapp.message.received', 'wamid:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ0MjExMjIzMzQ0NTU2Njc3ODgA', '16505550000'],
      ['whatsapp.message.status', 'status:wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA:delivered', '16505551234'],
    ]);
    expect(events[1].data).toMatchObject({ wabaId: '102290129340398', contact: { profile: { name: 'Ada' } } });
    expect(events[0].occurredAt).toBe('1749416383');
  });

  it('keys a status by id and status, so delivered and read are two events', () => {
    const body = JSON.parse(fixture('meta-two-messages-one-status.json').toString());
    const status = body.entry[0].changes[1].value.statuses[0];
    status.status = 'read';
    const events = adapter.normalize(body, request('', {}));
    expect(events[2].dedupeKey).toBe(`status:${status.id}:read`);
  });

  it('turns other Meta fields into whatsapp.<field> with a content-derived key', () => {
    const [event] = normalize('meta-template-status.json');
    expect(event.type).toBe('whatsapp.message_template_status_update');
    expect(event.dedupeKey).toMatch(/^change:message_template_status_update:[0-9a-f]{64}$/);
    expect(event.occurredAt).toBe(1749416600);
  });

  it('turns a bridge delivery into whatsapp.<event>, keyed by the Baileys message keys', () => {
    const [seed] = normalize('bridge-seed-messages-upsert.json');
    expect(seed).toMatchObject({
      type: 'whatsapp.message.received',
      dedupeKey: 'bridge:message.received:5511999999999@s.whatsapp.net/3EB0B430B6F8F1D0E9A2',
      subject: '5511999999999@s.whatsapp.net',
      occurredAt: 1704470400000,
    });
    const [flat] = normalize('bridge-message-received.json');
    expect(flat.dedupeKey).toBe('bridge:message.received:/3EB0C767D26A1D2A4F0E');
    expect(flat.subject).toBe('5511999999999@s.whatsapp.net');
  });

  it('falls back to the body digest for bridge events without message keys', () => {
    const raw = '{"event":"connection.update","timestamp":1750000000,"data":{"connection":"open"}}';
    const [event] = adapter.normalize(JSON.parse(raw), request(raw, {}));
    expect(event.type).toBe('whatsapp.connection.update');
    expect(event.dedupeKey).toMatch(/^bridge:connection\.update:[0-9a-f]{64}$/);
  });

  it.each([
    ['an array body', [], ['body']],
    ['neither shape', { hello: 1 }, ['object', 'event']],
    ['a wrong object', { object: 'page', entry: [] }, ['object']],
    ['entry not an array', { object: 'whatsapp_business_account', entry: {} }, ['entry']],
    ['a message without id', { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [{ from: '1' }] } }] }] }, ['entry[0].changes[0].value.messages[0].id']],
    ['a bad bridge event name', { event: 'has spaces', data: {} }, ['event']],
  ])('rejects %s naming the fields', (_name, body, fields) => {
    try {
      adapter.normalize(body, request(JSON.stringify(body), {}));
      throw new Error('expected a PayloadValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      expect((error as PayloadValidationError).errors.map((e) => e.field)).toEqual(fields);
    }
  });
});
