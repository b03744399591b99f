import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError, hmacSha256Hex, sha256Hex } from '@hub/webhook-core';
import { MakeComAdapter } from './makecom.adapter';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/makecom', `${name}.json`));
// Reference §2.2 test vector.
const SECRET = 'make_hub_secret_7f3a';
const API_KEY = 'mk_live_4c9d2e1f0a8b7c6d';

function adapterWith(env: Record<string, string>): MakeComAdapter {
  return new MakeComAdapter(loadHubConfig(env));
}
const both = { MAKE_COM_API_KEY: `mk_new_key,${API_KEY}`, MAKE_COM_WEBHOOK_SECRET: `new-secret,${SECRET}` };
const adapter = adapterWith(both);

function request(rawBody: Buffer | string, headers: InboundRequest['headers'] = {}, route = 'chatgpt-clients'): InboundRequest {
  return { route, rawBody: Buffer.from(rawBody), headers, query: {} };
}
const signed = (body: Buffer, secret = SECRET) => `sha256=${hmacSha256Hex(secret, body)}`;

describe('MakeComAdapter.verify', () => {
  const body = fixture('seed-chatgpt-clients');

  it('accepts the reference HMAC vector (secret make_hub_secret_7f3a)', () => {
    const raw = fixture('reference-lead-sync');
    const header = 'sha256=49f392b331862f401ccb16af4551311a5941318ec897cd8ab1091ca223621e6b';
    expect(adapter.verify(request(raw, { 'x-hub-signature-256': header }))).toEqual({ ok: true, scheme: 'signature' });
    expect(adapter.verify(request(raw, { 'x-hub-signature-256': header.toUpperCase().replace('SHA256=', 'sha256=') })).ok).toBe(true);
  });

  it('accepts an API key or a signature from anywhere in the rotation lists', () => {
    expect(adapter.verify(request(body, { 'x-make-apikey': API_KEY }))).toEqual({ ok: true, scheme: 'apikey' });
    expect(adapter.verify(request(body, { 'x-make-apikey': 'mk_new_key' })).ok).toBe(true);
    expect(adapter.verify(request(body, { 'x-hub-signature-256': signed(body, 'new-secret') })).ok).toBe(true);
    expect(adapter.verify(request(body, { 'x-make-apikey': API_KEY, 'x-hub-signature-256': signed(body) }))).toEqual({
      ok: true,
      scheme: 'apikey+signature',
    });
  });

  describe('MAKE_COM_AUTH modes', () => {
    const key = { 'x-make-apikey': API_KEY };
    const sig = (raw: Buffer) => ({ 'x-hub-signature-256': signed(raw) });
    const cases: [string, Record<string, string>, 'key' | 'sig' | 'both' | 'none', boolean | RegExp][] = [
      ['either', both, 'key', true],
      ['either', both, 'sig', true],
      ['either', both, 'none', /^missing credentials: send x-make-apikey or X-Hub-Signature-256/],
      ['either', { MAKE_COM_API_KEY: API_KEY }, 'none', /^missing credentials: send x-make-apikey or X-Hub-Signature-256/],
      ['apikey', both, 'key', true],
      ['apikey', both, 'sig', /^missing x-make-apikey \(MAKE_COM_AUTH=apikey\)$/],
      ['signature', both, 'sig', true],
      ['signature', both, 'key', /^missing X-Hub-Signature-256 \(MAKE_COM_AUTH=signature\)$/],
      ['both', both, 'both', true],
      ['both', both, 'key', /^missing X-Hub-Signature-256 \(MAKE_COM_AUTH=both/],
      ['both', both, 'sig', /^missing x-make-apikey \(MAKE_COM_AUTH=both/],
      ['both', both, 'none', /^missing x-make-apikey and X-Hub-Signature-256/],
    ];
    it.each(cases)('%s with %j and %s credentials -> %s', (mode, env, sent, expected) => {
      const a = adapterWith({ ...env, MAKE_COM_AUTH: mode });
      const headers = { none: {}, key, sig: sig(body), both: { ...key, ...sig(body) } }[sent];
      const result = a.verify(request(body, headers));
      if (expected === true) expect(result.ok).toBe(true);
      else expect(!result.ok && result.reason).toMatch(expected as RegExp);
    });

    it('is not configured unless the mode can be satisfied (503, fail closed)', () => {
      const configured = (env: Record<string, string>) => adapterWith(env).isConfigured();
      expect(configured({})).toBe(false);
      expect(configured({ MAKE_COM_AUTH: 'either' })).toBe(false);
      expect(configured({ MAKE_COM_API_KEY: API_KEY })).toBe(true);
      expect(configured({ MAKE_COM_WEBHOOK_SECRET: SECRET })).toBe(true);
      expect(configured({ MAKE_COM_AUTH: 'apikey', MAKE_COM_WEBHOOK_SECRET: SECRET })).toBe(false);
      expect(configured({ MAKE_COM_AUTH: 'apikey', MAKE_COM_API_KEY: API_KEY })).toBe(true);
      expect(configured({ MAKE_COM_AUTH: 'signature', MAKE_COM_API_KEY: API_KEY })).toBe(false);
      expect(configured({ MAKE_COM_AUTH: 'signature', MAKE_COM_WEBHOOK_SECRET: SECRET })).toBe(true);
      expect(configured({ MAKE_COM_AUTH: 'both', MAKE_COM_API_KEY: API_KEY })).toBe(false);
      expect(configured({ MAKE_COM_AUTH: 'both', MAKE_COM_WEBHOOK_SECRET: SECRET })).toBe(false);
      expect(configured({ MAKE_COM_AUTH: 'both', ...both })).toBe(true);
    });
  });

  it.each([
    ['a wrong API key', { 'x-make-apikey': 'nope' }, /^invalid x-make-apikey$/],
    ['an empty API key', { 'x-make-apikey': '' }, /^invalid x-make-apikey$/],
    ['a duplicated API key (joined)', { 'x-make-apikey': `${API_KEY}, ${API_KEY}` }, /^invalid x-make-apikey$/],
    ['a duplicated API key (array)', { 'x-make-apikey': [API_KEY, API_KEY] }, /^invalid x-make-apikey$/],
    ['a wrong-secret signature', { 'x-hub-signature-256': `sha256=${hmacSha256Hex('wrong', fixture('seed-chatgpt-clients'))}` }, /^invalid X-Hub-Signature-256/],
    ['bare hex (the prefix is required)', { 'x-hub-signature-256': hmacSha256Hex(SECRET, fixture('seed-chatgpt-clients')) }, /^malformed X-Hub-Signature-256/],
    ['a base64 signature', { 'x-hub-signature-256': 'sha256=SfOSszGGL0AcyxavRVExGllBMY7Il82KsQkcoiNiHms=' }, /^malformed/],
    ['a non-hex tail', { 'x-hub-signature-256': `${signed(fixture('seed-chatgpt-clients'))}zz` }, /^malformed/],
    ['a signature array', { 'x-hub-signature-256': [signed(fixture('seed-chatgpt-clients'))] }, /^malformed/],
    ['a right key beside a wrong signature', { 'x-make-apikey': API_KEY, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, /^invalid X-Hub-Signature-256/],
    ['a wrong key beside a right signature', { 'x-make-apikey': 'nope', 'x-hub-signature-256': signed(fixture('seed-chatgpt-clients')) }, /^invalid x-make-apikey$/],
  ])('rejects %s with a reason, never throwing', (_name, headers, reason) => {
    const result = adapter.verify(request(body, headers as InboundRequest['headers']));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('refuses a credential whose scheme is not configured, even beside a valid one', () => {
    const keyOnly = adapterWith({ MAKE_COM_API_KEY: API_KEY });
    expect(keyOnly.verify(request(body, { 'x-make-apikey': API_KEY, 'x-hub-signature-256': signed(body) }))).toEqual({
      ok: false,
      reason: 'invalid X-Hub-Signature-256 signature',
      detail: 'X-Hub-Signature-256 is not accepted: MAKE_COM_WEBHOOK_SECRET is not set',
    });
    const secretOnly = adapterWith({ MAKE_COM_WEBHOOK_SECRET: SECRET });
    expect(secretOnly.verify(request(body, { 'x-make-apikey': API_KEY }))).toEqual({
      ok: false,
      reason: 'invalid x-make-apikey',
      detail: 'x-make-apikey is not accepted: MAKE_COM_API_KEY is not set',
    });
  });
});

describe('MakeComAdapter.normalize', () => {
  it('turns the seed payload into makecom.<action_id> about the client, keyed by Idempotency-Key per scenario', () => {
    const raw = fixture('seed-chatgpt-clients');
    const [event] = adapter.normalize(JSON.parse(raw.toString()), request(raw, { 'idempotency-key': '8c1f0e7d2b3a4c5d:task_123' }));
    expect(event).toMatchObject({
      type: 'makecom.get_client_data',
      dedupeKey: 'idem:chatgpt-clients:8c1f0e7d2b3a4c5d:task_123',
      subject: 'client-123',
      meta: { scenario: 'chatgpt-clients', idempotencyKey: '8c1f0e7d2b3a4c5d:task_123' },
    });
    expect(event.occurredAt).toBeUndefined();
    expect(event.data).toEqual({ ...JSON.parse(raw.toString()), scenario: 'chatgpt-clients' });
  });

  it('keys by sha256 of the exact bytes without Idempotency-Key, scoped by scenario', () => {
    const raw = fixture('seed-curl-test-client');
    const [a] = adapter.normalize(JSON.parse(raw.toString()), request(raw));
    const [b] = adapter.normalize(JSON.parse(raw.toString()), request(raw, {}, 'other-scenario'));
    expect(a.dedupeKey).toBe(`body:chatgpt-clients:${sha256Hex(raw)}`);
    expect(b.dedupeKey).toBe(`body:other-scenario:${sha256Hex(raw)}`);
  });

  it('keeps a body field named scenario that differs from the route in meta', () => {
    const body = { client_id: 'c', action_id: 'a', task: {}, scenario: 'lead-sync' };
    const [event] = adapter.normalize(body, request(JSON.stringify(body)));
    expect(event.data).toMatchObject({ scenario: 'chatgpt-clients' });
    expect(event.meta).toEqual({ scenario: 'chatgpt-clients', bodyScenario: 'lead-sync' });
  });

  const errorsOf = (body: unknown, headers: InboundRequest['headers'] = {}, route = 'chatgpt-clients') => {
    try {
      adapter.normalize(body, request(JSON.stringify(body) ?? '', headers, route));
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      return (error as PayloadValidationError).errors;
    }
    throw new Error('expected a PayloadValidationError');
  };

  it('lists every bad field at once (the reference vector body is authentic but not a client action)', () => {
    const raw = fixture('reference-lead-sync');
    expect(errorsOf(JSON.parse(raw.toString()))).toEqual([
      { field: 'client_id', message: 'is required: a non-empty string' },
      { field: 'action_id', message: 'is required: a non-empty string' },
      { field: 'task', message: 'is required: an object (the task the action is about)' },
    ]);
  });

  it.each([
    ['an array body', [], {}, ['body']],
    ['a blank client_id', { client_id: '  ', action_id: 'a', task: {} }, {}, ['client_id']],
    ['a numeric client_id', { client_id: 123, action_id: 'a', task: {} }, {}, ['client_id']],
    ['an over-long client_id', { client_id: 'c'.repeat(257), action_id: 'a', task: {} }, {}, ['client_id']],
    ['an unsafe action_id', { client_id: 'c', action_id: 'get client/*', task: {} }, {}, ['action_id']],
    ['an over-long action_id', { client_id: 'c', action_id: 'a'.repeat(65), task: {} }, {}, ['action_id']],
    ['a task that is not an object', { client_id: 'c', action_id: 'a', task: ['x'] }, {}, ['task']],
    ['a null task', { client_id: 'c', action_id: 'a', task: null }, {}, ['task']],
    ['an empty Idempotency-Key', { client_id: 'c', action_id: 'a', task: {} }, { 'idempotency-key': '' }, ['Idempotency-Key']],
    ['an over-long Idempotency-Key', { client_id: 'c', action_id: 'a', task: {} }, { 'idempotency-key': 'k'.repeat(256) }, ['Idempotency-Key']],
    ['a control character in Idempotency-Key', { client_id: 'c', action_id: 'a', task: {} }, { 'idempotency-key': 'a\u0007b' }, ['Idempotency-Key']],
    ['a non-ASCII Idempotency-Key', { client_id: 'c', action_id: 'a', task: {} }, { 'idempotency-key': 'clé' }, ['Idempotency-Key']],
    ['headers and body together', { action_id: 1 }, { 'idempotency-key': ['a', 'b'] }, ['Idempotency-Key', 'client_id', 'action_id', 'task']],
  ])('rejects %s naming the fields', (_name, body, headers, fields) => {
    expect(errorsOf(body, headers as InboundRequest['headers']).map((e) => e.field)).toEqual(fields);
  });

  it('rejects an unsafe scenario route key', () => {
    expect(errorsOf({ client_id: 'c', action_id: 'a', task: {} }, {}, '../etc').map((e) => e.field)).toEqual(['scenario']);
  });
});

describe('MakeComAdapter.eventTypes', () => {
  it('lists the seed action among its event types', () => {
    expect(adapter.eventTypes().map((t) => t.type)).toEqual(['makecom.get_client_data']);
  });
});
