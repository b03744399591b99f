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
  matchesAnySecret,
  matchesAnyToken,
  parseHexSignature,
  sha256Hex,
  JsonObject,
  isJsonObject,
  requireJsonObject,
} from '@hub/webhook-core';
import { TAVUS_CONVERSATION_CALLBACKS, TAVUS_EVENT_TYPES } from './tavus-event-types';

/** `x-tavus-signature` is the document's header; `tavus-signature` its alternate spelling. */
const SIGNATURE_HEADERS = ['x-tavus-signature', 'tavus-signature'] as const;
/** Dot-separated segments only: the name becomes part of a type that subscribers match with globs. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){0,7}$/;
const STATUS = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_EVENT_TYPE = 100;
const MAX_ID = 256;
/** The `t` query parameter inside an echoed URL (the token must not reach stored events). */
const URL_TOKEN = /([?&]t=)[^&#]*/g;

/**
 * Tavus, two kinds of sender on `POST /api/tavus/webhook`:
 * - the platform itself (conversation, replica-training and video callbacks to `callback_url`). It
 *   signs nothing, so the callback URL carries a secret token: `?t=<TAVUS_WEBHOOK_TOKEN>`.
 * - the seed document's sender (`conversation.*` events) with `x-tavus-signature: [sha256=]<hex HMAC>`.
 *
 * Either scheme is enough, but every credential a request presents must verify: a bad signature
 * next to a good token (or the reverse) is refused, so a forged or corrupted credential never rides
 * on a valid one.
 */
@Injectable()
@WebhookProvider()
export class TavusAdapter implements ProviderAdapter {
  readonly source = 'tavus';

  constructor(private readonly config: HubConfig) {}

  isConfigured(): boolean {
    const { secrets, tokens } = this.config.tavus;
    return secrets.length > 0 || tokens.length > 0;
  }

  verify(request: InboundRequest): Verification {
    const { secrets, tokens } = this.config.tavus;
    const signatureHeaders = SIGNATURE_HEADERS.filter((name) => request.headers[name] !== undefined);
    const query = request.query ?? {};
    const hasToken = Object.prototype.hasOwnProperty.call(query, 't');
    if (signatureHeaders.length === 0 && !hasToken) {
      return {
        ok: false,
        reason: 'missing authentication: add ?t=<TAVUS_WEBHOOK_TOKEN> to the callback URL or send x-tavus-signature: sha256=<hex HMAC of the body>',
      };
    }

    for (const name of signatureHeaders) {
      const signature = parseHexSignature(request.headers[name], { prefix: 'sha256=', prefixOptional: true });
      if (!signature) return { ok: false, reason: `malformed ${name}: expected sha256=<64 hex digits> or 64 hex digits` };
      // Unset or wrong, the sender hears the same: which secrets are set is not its business.
      if (secrets.length === 0) return { ok: false, reason: `invalid ${name} signature`, detail: `${name} is not accepted: TAVUS_WEBHOOK_SECRET is not set` };
      if (!matchesAnySecret(signature, request.rawBody, secrets)) return { ok: false, reason: `invalid ${name} signature` };
    }

    if (hasToken) {
      const token = query.t;
      // A repeated parameter arrives as an array (or an object with other query parsers): ambiguous.
      if (typeof token !== 'string') return { ok: false, reason: 'malformed t query parameter: give the token exactly once' };
      if (tokens.length === 0) return { ok: false, reason: 'invalid t query parameter token', detail: 'the t query parameter is not accepted: TAVUS_WEBHOOK_TOKEN is not set' };
      if (!matchesAnyToken(token, tokens)) return { ok: false, reason: 'invalid t query parameter token' };
    }

    const scheme = signatureHeaders.length > 0 ? (hasToken ? 'signature+token' : 'signature') : 'token';
    return { ok: true, scheme };
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const payload = requireJsonObject(body);
    if (payload.event_type !== undefined) return [this.conversationEvent(payload, request, errors)];
    // A video object also carries replica_id, so video_id decides first.
    if (payload.video_id !== undefined) return [statusCallback('video', payload, errors)];
    if (payload.replica_id !== undefined) return [statusCallback('replica', payload, errors)];
    errors.add(
      'event_type',
      'is required: a conversation callback {conversation_id, event_type, ...}, or a replica/video callback with replica_id/video_id and status',
    );
    errors.throwIfAny();
    return [];
  }

  eventTypes(): EventTypeInfo[] {
    return TAVUS_EVENT_TYPES;
  }

  /** The platform's envelope `{properties, conversation_id, event_type, message_type, timestamp}` and the document's events. */
  private conversationEvent(payload: JsonObject, request: InboundRequest, errors: FieldErrors): NormalizedEvent {
    const eventType = payload.event_type;
    if (typeof eventType !== 'string') {
      errors.add('event_type', 'must be a string such as "system.shutdown" or "conversation.tool_called"');
    } else if (eventType.length > MAX_EVENT_TYPE || !EVENT_TYPE.test(eventType)) {
      errors.add('event_type', `must be dot-separated segments of [A-Za-z0-9_-], at most ${MAX_EVENT_TYPE} characters`);
    }
    // The hub's own answers are tavus.tool_result: a sender may not make one (it would pose as the hub).
    if (eventType === 'tool_result') errors.add('event_type', '"tool_result" is the type of the hub\'s own tool results; a sender reports one as "conversation.tool_result"');
    checkId(payload, 'conversation_id', errors, false);
    checkTime(payload, ['timestamp', 'updated_at', 'ended_at'], errors);
    if (payload.properties !== undefined && !isJsonObject(payload.properties)) errors.add('properties', 'must be an object');
    errors.throwIfAny();

    const type = eventType as string;
    const conversationId = payload.conversation_id as string | undefined;
    // Tavus fires each of its callbacks once per conversation; a retry may differ in bytes, so the key
    // is the pair. Everything else (the document's events, unknown callbacks that may repeat) is keyed
    // by the exact body, as the document does.
    const dedupeKey =
      conversationId !== undefined && TAVUS_CONVERSATION_CALLBACKS.has(type)
        ? conversationCallbackKey(conversationId, type)
        : `body:${sha256Hex(request.rawBody)}`;
    return {
      type: `tavus.${type}`,
      dedupeKey,
      subject: conversationId,
      occurredAt: firstTime(payload, ['timestamp', 'updated_at', 'ended_at']) ?? nestedMessageTime(payload),
      data: redactUrlTokens(payload),
    };
  }
}

/** `sha256("<conversation_id>|<event_type>")` in hex: the reference dedupe key of conversation callbacks. */
export function conversationCallbackKey(conversationId: string, eventType: string): string {
  return sha256Hex(`${conversationId}|${eventType}`);
}

/** Replica training `{replica_id, status}` and video `{video_id, status, ...}` callbacks, keyed by (id, status). */
function statusCallback(kind: 'replica' | 'video', payload: JsonObject, errors: FieldErrors): NormalizedEvent {
  const idField = `${kind}_id`;
  checkId(payload, idField, errors, true);
  if (typeof payload.status !== 'string' || !STATUS.test(payload.status)) {
    errors.add('status', `must be the ${kind} status, 1-64 characters of [A-Za-z0-9_-] (e.g. "ready", "error")`);
  }
  checkTime(payload, ['updated_at', 'created_at'], errors);
  errors.throwIfAny();
  const id = payload[idField] as string;
  const status = payload.status as string;
  return {
    type: `tavus.${kind}.${status}`,
    dedupeKey: `${kind}:${sha256Hex(`${id}|${status}`)}`,
    subject: id,
    occurredAt: firstTime(payload, ['updated_at', 'created_at']),
    data: redactUrlTokens(payload),
  };
}

function checkId(payload: JsonObject, field: string, errors: FieldErrors, required: boolean): void {
  const value = payload[field];
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    errors.add(field, `must be a non-empty string of at most ${MAX_ID} characters`);
  }
}

function checkTime(payload: JsonObject, fields: string[], errors: FieldErrors): void {
  for (const field of fields) {
    const value = payload[field];
    if (value !== undefined && value !== null && typeof value !== 'string' && typeof value !== 'number') {
      errors.add(field, 'must be an ISO-8601 string or unix time');
    }
  }
}

/** The first time field present; the core falls back to the receive time when it is unparsable. */
function firstTime(payload: JsonObject, fields: string[]): string | number | undefined {
  for (const field of fields) {
    const value = payload[field];
    if (typeof value === 'string' || typeof value === 'number') return value;
  }
  return undefined;
}

/** The document's conversation.message carries its time inside `message`. */
function nestedMessageTime(payload: JsonObject): string | undefined {
  const message = payload.message;
  return isJsonObject(message) && typeof message.timestamp === 'string' ? message.timestamp : undefined;
}

/**
 * Tavus echoes the callback URL (`webhook_url`, and `callback_url` in video objects), token
 * included; stored events are read by subscribers and assistants, so the token is masked.
 */
function redactUrlTokens(payload: JsonObject): JsonObject {
  let copy: JsonObject | undefined;
  for (const field of ['webhook_url', 'callback_url']) {
    const value = payload[field];
    if (typeof value !== 'string') continue;
    const masked = value.replace(URL_TOKEN, '$1[redacted]');
    if (masked !== value) (copy ??= { ...payload })[field] = masked;
  }
  return copy ?? payload;
}

