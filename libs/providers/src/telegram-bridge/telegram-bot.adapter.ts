import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import {
  EventTypeInfo,
  FieldErrors,
  InboundRequest,
  NormalizedEvent,
  ProviderAdapter,
  Verification,
  WebhookProvider,
  matchesAnyToken,
  JsonObject,
  isJsonObject,
  requireJsonObject,
} from '@hub/webhook-core';
import { TELEGRAM_EVENT_TYPES, TELEGRAM_UPDATE_FIELDS } from './telegram-bot-event-types';

const TOKEN_HEADER = 'x-telegram-bot-api-secret-token';
/** What setWebhook allows for secret_token; anything else (e.g. two values joined ", ") cannot match. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{1,256}$/;
/** A field Telegram adds after this list was written is accepted only under a plain snake_case name. */
const SAFE_FIELD = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const MAX_FIELD_LENGTH = 64;
/** The bot id is the number before ":" in the bot token. */
const BOT_ID = /^\d{1,20}$/;

/**
 * Telegram Bot API webhooks: `X-Telegram-Bot-Api-Secret-Token` equals the `secret_token` given to
 * setWebhook (no HMAC, no timestamp, so dedupe on update_id is the only replay protection). One
 * Update per request, holding update_id and exactly one payload field.
 */
@Injectable()
@WebhookProvider()
export class TelegramBotAdapter implements ProviderAdapter {
  readonly source = 'telegram';

  constructor(private readonly config: HubConfig) {}

  isConfigured(): boolean {
    return this.config.telegram.secretTokens.length > 0;
  }

  verify(request: InboundRequest): Verification {
    const tokens = this.config.telegram.secretTokens;
    if (tokens.length === 0) return { ok: false, reason: 'invalid X-Telegram-Bot-Api-Secret-Token', detail: 'X-Telegram-Bot-Api-Secret-Token is not accepted: TELEGRAM_SECRET_TOKEN is not set' };
    const given = request.headers[TOKEN_HEADER];
    if (given === undefined || given === '') {
      return { ok: false, reason: 'missing X-Telegram-Bot-Api-Secret-Token: set secret_token in setWebhook' };
    }
    if (Array.isArray(given)) return { ok: false, reason: 'X-Telegram-Bot-Api-Secret-Token was sent more than once' };
    if (typeof given !== 'string' || !TOKEN_FORMAT.test(given)) {
      return { ok: false, reason: 'malformed X-Telegram-Bot-Api-Secret-Token: expected one value of 1-256 characters [A-Za-z0-9_-]' };
    }
    // Digest comparison: constant time, whatever the lengths.
    if (!matchesAnyToken(given, tokens)) return { ok: false, reason: 'invalid X-Telegram-Bot-Api-Secret-Token' };
    return { ok: true, scheme: 'secret-token' };
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const update = requireJsonObject(body, 'a JSON object (a Telegram Update)');
    const updateId = update.update_id;
    if (typeof updateId !== 'number' || !Number.isSafeInteger(updateId) || updateId <= 0) {
      errors.add('update_id', 'must be a positive integer');
    }

    // update_id is only unique per bot, and nothing in an Update names its bot. With ?bot=<bot id> on
    // the webhook URL the key is (bot, update_id); without it, (update_id, a digest of the Update's
    // content): a redelivery repeats the same Update, while another bot's update with the same id
    // differs in its content (message id, chat, date), so neither is lost and retries still dedupe.
    const bot = request.query.bot;
    if (bot !== undefined && (typeof bot !== 'string' || !BOT_ID.test(bot))) {
      errors.add('bot', 'query parameter must be the numeric bot id (the digits before ":" in the bot token)');
    }

    const field = this.payloadField(update, errors);
    errors.throwIfAny();

    const name = field as string;
    const payload = update[name] as JsonObject;
    // An edit happened at edit_date; date stays the original message's time.
    const date = name.startsWith('edited_') && typeof payload.edit_date === 'number' ? payload.edit_date : payload.date;
    return [
      {
        type: `telegram.${name}`,
        dedupeKey: bot ? `bot:${bot as string}:update:${updateId as number}` : `update:${updateId as number}:${contentDigest(update)}`,
        subject: subjectOf(payload),
        occurredAt: typeof date === 'number' && Number.isFinite(date) ? date : undefined,
        data: update,
      },
    ];
  }

  eventTypes(): EventTypeInfo[] {
    return TELEGRAM_EVENT_TYPES;
  }

  /** The one payload field of the Update: a known one, else a single unknown object field with a safe name. */
  private payloadField(update: JsonObject, errors: FieldErrors): string | undefined {
    const keys = Object.keys(update).filter((key) => key !== 'update_id');
    const known = keys.filter((key) => Object.prototype.hasOwnProperty.call(TELEGRAM_UPDATE_FIELDS, key));
    if (known.length > 1) {
      errors.add(known[1], `must not be sent together with "${known[0]}": an Update holds exactly one payload field`);
      return undefined;
    }
    if (known.length === 1) {
      if (!isJsonObject(update[known[0]])) errors.add(known[0], 'must be an object');
      return known[0];
    }
    const unknown = keys.filter((key) => isJsonObject(update[key]));
    if (unknown.length === 1) {
      const name = unknown[0];
      if (name.length <= MAX_FIELD_LENGTH && SAFE_FIELD.test(name)) return name;
      errors.add('body', `holds no known Update field, and ${JSON.stringify(name.slice(0, MAX_FIELD_LENGTH))} is not a snake_case field name`);
      return undefined;
    }
    errors.add(
      'body',
      unknown.length === 0
        ? 'must hold one Update field besides update_id (message, edited_message, callback_query, ...)'
        : 'holds no known Update field and several unknown ones: an Update holds exactly one payload field',
    );
    return undefined;
  }
}

/**
 * The chat the update is about, else the user who caused it. Field by field: messages, reactions,
 * member and boost updates carry `chat`; callback_query its `message.chat`; business_connection
 * `user_chat_id`; poll_answer `voter_chat` or `user`; queries and payments `from`.
 */
function subjectOf(payload: JsonObject): string | undefined {
  const message = isJsonObject(payload.message) ? payload.message : undefined;
  const candidates = [
    idOf(payload.chat),
    idOf(message?.chat),
    payload.user_chat_id,
    idOf(payload.voter_chat),
    idOf(payload.from),
    idOf(payload.user),
  ];
  for (const candidate of candidates) {
    if (typeof candidate === 'number' && Number.isSafeInteger(candidate)) return String(candidate);
    if (typeof candidate === 'string' && /^-?\d{1,20}$/.test(candidate)) return candidate;
  }
  return undefined;
}

function idOf(value: unknown): unknown {
  return isJsonObject(value) ? value.id : undefined;
}

/**
 * A digest of the Update's content that ignores key order and whitespace (Telegram's retries are the
 * same object; how it is serialised is not promised).
 */
function contentDigest(update: JsonObject): string {
  return createHash('sha256').update(canonicalJson(update)).digest('base64url').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
