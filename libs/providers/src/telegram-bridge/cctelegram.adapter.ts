import { Inject, Injectable, Optional } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import {
  EventTypeInfo,
  FieldErrors,
  HeaderValue,
  InboundRequest,
  NormalizedEvent,
  ProviderAdapter,
  Verification,
  WebhookProvider,
  checkReplayWindow,
  matchesAnySecret,
  parseHexSignature,
  sha256Hex,
  singleHeader,
  toIsoTime,
  JsonObject,
  isJsonObject,
  requireJsonObject,
} from '@hub/webhook-core';
import { BridgeHealthRepository } from './bridge-health.repository';
import { CCTELEGRAM_EVENT_TYPES, CCTELEGRAM_ROUTES, CcTelegramRoute } from './cctelegram-event-types';

/** Injection token for the clock the replay window reads (unix milliseconds); tests pin it. */
export const CCTELEGRAM_CLOCK = Symbol('CCTELEGRAM_CLOCK');

const SIGNATURE_HEADER = 'x-cctelegram-signature';
const TIMESTAMP_HEADER = 'x-cctelegram-timestamp';
const RETRY_COUNT_HEADER = 'x-cctelegram-retry-count';
const MAX_RETRIES_HEADER = 'x-cctelegram-max-retries';
const ORIGINAL_TIMESTAMP_HEADER = 'x-cctelegram-original-timestamp';
/** Ids become Redis dedupe keys: keep them bounded. */
const MAX_ID_LENGTH = 256;

/**
 * The CCTelegram bridge (co8/cctelegram docs, "Webhooks & Bridge Communication"): three routes, each
 * signed `X-CCTelegram-Signature: sha256=<hex HMAC(secret, raw body)>` with an unsigned
 * `X-CCTelegram-Timestamp` checked against ±tolerance. The timestamp is not in the signed bytes, so a
 * captured body can be replayed with a fresh timestamp: dedupe by event.id / response.id is what
 * actually stops replays.
 */
@Injectable()
@WebhookProvider()
export class CcTelegramAdapter implements ProviderAdapter {
  readonly source = 'cctelegram';

  constructor(
    private readonly config: HubConfig,
    @Optional() @Inject(CCTELEGRAM_CLOCK) private readonly now: () => number = Date.now,
    @Optional() private readonly health?: BridgeHealthRepository,
  ) {}

  /** The bridge's last health report (`/webhook/health`), for `GET /api/status`. */
  async senderHealth(): Promise<Record<string, unknown> | null> {
    const last = await this.health?.last();
    return last ? { status: last.status, reported_at: last.reported_at, checks: last.checks } : null;
  }

  isConfigured(): boolean {
    return this.config.cctelegram.secrets.length > 0;
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const route = request.route as CcTelegramRoute;
    const expected: string | undefined = Object.prototype.hasOwnProperty.call(CCTELEGRAM_ROUTES, route) ? CCTELEGRAM_ROUTES[route] : undefined;
    const payload = requireJsonObject(body);

    if (!expected) {
      errors.add('route', `unknown CCTelegram route "${route}"`);
    } else if (typeof payload.webhook_type !== 'string') {
      errors.add('webhook_type', `must be the string "${expected}" on /webhook/${route}`);
    } else if (payload.webhook_type !== expected) {
      const other = Object.entries(CCTELEGRAM_ROUTES).find(([, type]) => type === payload.webhook_type);
      errors.add(
        'webhook_type',
        `must be "${expected}" on /webhook/${route}; got ${quote(payload.webhook_type)}` +
          (other ? ` (send it to /webhook/${other[0]})` : ''),
      );
    }
    if (payload.timestamp !== undefined && toIsoTime(payload.timestamp) === undefined) {
      errors.add('timestamp', 'must be an ISO 8601 date such as "2025-01-15T10:30:00.000Z"');
    }

    let dedupeKey = '';
    let subject: string | undefined;
    if (route === 'events') {
      const event = payload.event;
      if (!isJsonObject(event)) errors.add('event', 'must be an object');
      else {
        if (!isId(event.id)) errors.add('event.id', `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
        if (event.chat_id !== undefined && toChatId(event.chat_id) === undefined) {
          errors.add('event.chat_id', 'must be a chat id (string or integer)');
        }
        dedupeKey = `event:${String(event.id)}`;
        subject = toChatId(event.chat_id);
      }
    } else if (route === 'responses') {
      const response = payload.response;
      if (!isJsonObject(response)) errors.add('response', 'must be an object');
      else {
        if (!isId(response.id)) errors.add('response.id', `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
        const message = response.message;
        if (message !== undefined && !isJsonObject(message)) errors.add('response.message', 'must be an object');
        const chatId = isJsonObject(message) ? message.chat_id : undefined;
        if (chatId !== undefined && toChatId(chatId) === undefined) {
          errors.add('response.message.chat_id', 'must be a chat id (string or integer)');
        }
        dedupeKey = `response:${String(response.id)}`;
        subject = toChatId(chatId);
      }
    } else if (route === 'health') {
      if (!isJsonObject(payload.health)) errors.add('health', 'must be an object');
      // Health updates carry no id: the exact bytes identify a redelivery.
      dedupeKey = `health:${sha256Hex(request.rawBody)}`;
    }
    errors.throwIfAny();

    const meta = deliveryMeta(request.headers);
    return [
      {
        type: `cctelegram.${expected}`,
        dedupeKey,
        subject,
        // The body's own time first; for bodies without one, when the first attempt was sent.
        occurredAt:
          (payload.timestamp as string | undefined) ?? meta?.originalTimestamp ?? unixSeconds(singleHeader(request.headers[TIMESTAMP_HEADER])),
        data: payload,
        ...(meta ? { meta } : {}),
      },
    ];
  }

  eventTypes(): EventTypeInfo[] {
    return CCTELEGRAM_EVENT_TYPES;
  }

  verify(request: InboundRequest): Verification {
    const secrets = this.config.cctelegram.secrets;
    if (secrets.length === 0) return { ok: false, reason: 'invalid X-CCTelegram-Signature', detail: 'X-CCTelegram-Signature is not accepted: CCTELEGRAM_WEBHOOK_SECRET is not set' };

    const header = request.headers[SIGNATURE_HEADER];
    if (header === undefined || header === '') return { ok: false, reason: 'missing X-CCTelegram-Signature' };
    if (Array.isArray(header)) return { ok: false, reason: 'X-CCTelegram-Signature was sent more than once' };
    const signature = parseHexSignature(header, { prefix: 'sha256=' });
    if (!signature) return { ok: false, reason: 'malformed X-CCTelegram-Signature: expected sha256=<64 hex digits>' };
    // The raw bytes as received: the document's JS example re-serialises req.body, which fails for any
    // sender that does not emit compact JSON.
    if (!matchesAnySecret(signature, request.rawBody, secrets)) return { ok: false, reason: 'invalid X-CCTelegram-Signature signature' };

    const timestamp = request.headers[TIMESTAMP_HEADER];
    if (Array.isArray(timestamp)) return { ok: false, reason: 'X-CCTelegram-Timestamp was sent more than once' };
    const window = checkReplayWindow(timestamp, this.config.cctelegram.toleranceSeconds, this.now());
    if (!window.ok) {
      return {
        ok: false,
        reason: timestamp === undefined || timestamp === '' ? 'missing X-CCTelegram-Timestamp (unix seconds)' : `X-CCTelegram-Timestamp rejected: ${window.reason}`,
      };
    }
    return { ok: true, scheme: 'signature' };
  }
}

/** A type alias, not an interface, so it fits NormalizedEvent.meta's Record<string, unknown>. */
export type CcTelegramDeliveryMeta = {
  retryCount?: number;
  maxRetries?: number;
  /** Unix seconds of the first attempt. */
  originalTimestamp?: number;
};

/**
 * The sender's retry headers as integers. A malformed or duplicated value is dropped, never an
 * error: these headers describe the delivery, they do not authenticate it.
 */
export function deliveryMeta(headers: Record<string, HeaderValue>): CcTelegramDeliveryMeta | undefined {
  const meta: CcTelegramDeliveryMeta = {};
  const retryCount = smallInt(singleHeader(headers[RETRY_COUNT_HEADER]));
  const maxRetries = smallInt(singleHeader(headers[MAX_RETRIES_HEADER]));
  const originalTimestamp = unixSeconds(singleHeader(headers[ORIGINAL_TIMESTAMP_HEADER]));
  if (retryCount !== undefined) meta.retryCount = retryCount;
  if (maxRetries !== undefined) meta.maxRetries = maxRetries;
  if (originalTimestamp !== undefined) meta.originalTimestamp = originalTimestamp;
  return Object.keys(meta).length > 0 ? meta : undefined;
}

function smallInt(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,6}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function unixSeconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,12}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_ID_LENGTH;
}

/** Chat ids arrive as strings ("-1001234567890") in the document and as integers from Telegram itself. */
function toChatId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 128) return value;
  return undefined;
}

/** Client input echoed in an error message, shortened. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
