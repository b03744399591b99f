import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHubConfig } from '@hub/config';
import { InboundRequest, PayloadValidationError } from '@hub/webhook-core';
import { TelegramBotAdapter } from './telegram-bot.adapter';
import { TELEGRAM_UPDATE_FIELDS } from './telegram-bot-event-types';

const dir = join(__dirname, '../../../../test/fixtures/telegram');
const body = (name: string) => readFileSync(join(dir, `${name}.json`));
const headers = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(dir, `${name}.headers.json`), 'utf8')) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));

const TOKEN = 'hub_Tg-Secret_42';
const NEW_TOKEN = 'hub_Tg-New_43';
const adapter = new TelegramBotAdapter(loadHubConfig({ TELEGRAM_SECRET_TOKEN: `${NEW_TOKEN},${TOKEN}` }));

function request(rawBody: Buffer | string, hdrs: InboundRequest['headers'], query: Record<string, unknown> = {}): InboundRequest {
  return { route: 'default', rawBody: Buffer.from(rawBody), headers: hdrs, query };
}

describe('TelegramBotAdapter.verify', () => {
  it('accepts the reference token vector and every token of the rotation list', () => {
    expect(headers('reference-message')['x-telegram-bot-api-secret-token']).toBe(TOKEN);
    expect(adapter.verify(request(body('reference-message'), headers('reference-message')))).toEqual({ ok: true, scheme: 'secret-token' });
    expect(adapter.verify(request('{}', { 'x-telegram-bot-api-secret-token': NEW_TOKEN })).ok).toBe(true);
  });

  it.each([
    ['a missing header', {}, 'missing X-Telegram-Bot-Api-Secret-Token: set secret_token in setWebhook'],
    ['an empty header', { 'x-telegram-bot-api-secret-token': '' }, 'missing X-Telegram-Bot-Api-Secret-Token: set secret_token in setWebhook'],
    ['a wrong token', { 'x-telegram-bot-api-secret-token': 'hub_Tg-Secret_43' }, 'invalid X-Telegram-Bot-Api-Secret-Token'],
    ['a prefix of the token', { 'x-telegram-bot-api-secret-token': 'hub_Tg' }, 'invalid X-Telegram-Bot-Api-Secret-Token'],
    ['the token in another case', { 'x-telegram-bot-api-secret-token': TOKEN.toUpperCase() }, 'invalid X-Telegram-Bot-Api-Secret-Token'],
    ['a duplicated header joined ", "', { 'x-telegram-bot-api-secret-token': `${TOKEN}, ${TOKEN}` }, 'malformed X-Telegram-Bot-Api-Secret-Token: expected one value of 1-256 characters [A-Za-z0-9_-]'],
    ['a duplicated header as an array', { 'x-telegram-bot-api-secret-token': [TOKEN, TOKEN] }, 'X-Telegram-Bot-Api-Secret-Token was sent more than once'],
    ['an over-long token', { 'x-telegram-bot-api-secret-token': 'a'.repeat(257) }, 'malformed X-Telegram-Bot-Api-Secret-Token: expected one value of 1-256 characters [A-Za-z0-9_-]'],
  ])('rejects %s', (_name, hdrs, reason) => {
    expect(adapter.verify(request('{}', hdrs as InboundRequest['headers']))).toEqual({ ok: false, reason });
  });

  it('is not configured, and verifies nothing, without TELEGRAM_SECRET_TOKEN', () => {
    const bare = new TelegramBotAdapter(loadHubConfig({}));
    expect(bare.isConfigured()).toBe(false);
    expect(bare.verify(request('{}', { 'x-telegram-bot-api-secret-token': TOKEN })).ok).toBe(false);
  });
});

describe('TelegramBotAdapter.normalize', () => {
  const normalize = (name: string, query: Record<string, unknown> = {}) => {
    const raw = body(name);
    return adapter.normalize(JSON.parse(raw.toString()), request(raw, headers(name), query))[0];
  };

  it('turns the reference example into telegram.message keyed by update_id', () => {
    expect(normalize('reference-message')).toMatchObject({
      type: 'telegram.message',
      dedupeKey: expect.stringMatching(/^update:987654321:[A-Za-z0-9_-]{16}$/),
      subject: '111111111',
      occurredAt: 1750000000,
      data: { update_id: 987654321, message: { text: '/start' } },
    });
  });

  it.each([
    ['group-message', 'telegram.message', '-1001234567890', 1750000100],
    ['edited-message', 'telegram.edited_message', '111111111', 1750000200],
    ['callback-query', 'telegram.callback_query', '-1001234567890', undefined],
    ['inline-callback-query', 'telegram.callback_query', '111111111', undefined],
    ['channel-post', 'telegram.channel_post', '-1009876543210', 1750000400],
    ['my-chat-member', 'telegram.my_chat_member', '-1001234567890', 1750000500],
    ['message-reaction', 'telegram.message_reaction', '-1001234567890', 1750000600],
    ['inline-query', 'telegram.inline_query', '111111111', undefined],
    ['poll-answer', 'telegram.poll_answer', '111111111', undefined],
    ['future-field', 'telegram.paid_star_gift', '-1001234567890', 1750000700],
  ])('detects %s as %s with subject %s', (name, type, subject, occurredAt) => {
    const event = normalize(name);
    expect(event.type).toBe(type);
    expect(event.subject).toBe(subject);
    expect(event.occurredAt).toBe(occurredAt);
    expect(event.dedupeKey).toMatch(new RegExp(`^update:${JSON.parse(body(name).toString()).update_id}:`));
  });

  it('takes the subject from the chat or the user for other update kinds', () => {
    const one = (update: Record<string, unknown>) => adapter.normalize(update, request(JSON.stringify(update), {}))[0];
    expect(one({ update_id: 1, business_connection: { id: 'bc1', user: { id: 5 }, user_chat_id: 6, date: 1750000000 } }).subject).toBe('6');
    expect(one({ update_id: 2, poll_answer: { poll_id: 'p', voter_chat: { id: -100 }, option_ids: [1] } }).subject).toBe('-100');
    expect(one({ update_id: 3, pre_checkout_query: { id: 'q', from: { id: 9 }, currency: 'EUR', total_amount: 100 } }).subject).toBe('9');
    expect(one({ update_id: 4, poll: { id: 'p', question: 'q', options: [] } }).subject).toBeUndefined();
    expect(one({ update_id: 5, chat_boost: { chat: { id: -200 }, boost: {} } }).subject).toBe('-200');
  });

  it('keys an Update without ?bot= by update_id and its content: the same Update however serialised, another bot\'s apart', () => {
    const key = (update: Record<string, unknown>) => adapter.normalize(update, request(JSON.stringify(update), {}))[0].dedupeKey;
    const fromBotA = { update_id: 42, message: { message_id: 1, chat: { id: 5, type: 'private' }, date: 1750000000, text: 'hi' } };
    const sameReordered = { message: { text: 'hi', date: 1750000000, chat: { type: 'private', id: 5 }, message_id: 1 }, update_id: 42 };
    const fromBotB = { update_id: 42, message: { message_id: 7, chat: { id: 9, type: 'private' }, date: 1750000003, text: 'hi' } };
    expect(key(sameReordered)).toBe(key(fromBotA));
    expect(key(fromBotB)).not.toBe(key(fromBotA));
  });

  it('namespaces the dedupe key with ?bot=<bot id>, since update_id is unique per bot only', () => {
    expect(normalize('reference-message', { bot: '7000000001' }).dedupeKey).toBe('bot:7000000001:update:987654321');
  });

  it('lists every Update field as an event type with a description', () => {
    const types = adapter.eventTypes();
    expect(types).toHaveLength(23);
    expect(types.map((t) => t.type)).toEqual(Object.keys(TELEGRAM_UPDATE_FIELDS).map((f) => `telegram.${f}`));
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(['telegram.message', 'telegram.callback_query', 'telegram.removed_chat_boost', 'telegram.purchased_paid_media']));
    for (const t of types) expect(t.description.length).toBeGreaterThan(10);
  });

  const errorsOf = (payload: unknown, query: Record<string, unknown> = {}) => {
    try {
      adapter.normalize(payload, request(JSON.stringify(payload), {}, query));
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadValidationError);
      return (error as PayloadValidationError).errors;
    }
    throw new Error('expected a PayloadValidationError');
  };

  it.each([
    ['an array', [], ['body']],
    ['no update_id', { message: { chat: { id: 1 } } }, ['update_id']],
    ['a string update_id', { update_id: '5', message: {} }, ['update_id']],
    ['a zero update_id', { update_id: 0, message: {} }, ['update_id']],
    ['a negative update_id', { update_id: -3, message: {} }, ['update_id']],
    ['a fractional update_id', { update_id: 1.5, message: {} }, ['update_id']],
    ['no payload field', { update_id: 1 }, ['body']],
    ['only scalar fields', { update_id: 1, foo: 1 }, ['body']],
    ['two known fields', { update_id: 1, message: {}, callback_query: {} }, ['callback_query']],
    ['a known field that is not an object', { update_id: 1, message: 'hi' }, ['message']],
    ['an unknown field with an unsafe name', { update_id: 1, 'Weird-Field': {} }, ['body']],
    ['several unknown fields', { update_id: 1, foo_bar: {}, baz: {} }, ['body']],
    ['nothing right', { update_id: null }, ['update_id', 'body']],
  ])('rejects %s naming the fields', (_name, payload, fields) => {
    expect(errorsOf(payload).map((e) => e.field)).toEqual(fields);
  });

  it('rejects a ?bot= that is not a bot id', () => {
    expect(errorsOf({ update_id: 1, message: {} }, { bot: 'abc' }).map((e) => e.field)).toEqual(['bot']);
    expect(errorsOf({ update_id: 1, message: {} }, { bot: ['1', '2'] }).map((e) => e.field)).toEqual(['bot']);
  });

  it('ignores extra unknown fields next to a known one (forward compatible)', () => {
    const event = adapter.normalize({ update_id: 9, message: { chat: { id: 3 }, date: 1750000000 }, future_meta: {} }, request('', {}))[0];
    expect(event.type).toBe('telegram.message');
  });
});
