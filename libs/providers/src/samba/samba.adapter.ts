import { Injectable } from '@nestjs/common';
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
  matchesAnySecret,
  matchesAnyToken,
  parseHexSignature,
  sha256Hex,
  toIsoTime,
  JsonObject,
  isJsonObject,
  requireJsonObject,
} from '@hub/webhook-core';
import { DIGITAL_SAMBA_EVENT_TYPES } from './samba-event-types';

/** Snake_case platform names and the document's dotted ones; anything else could not be a glob-safe type. */
export const DIGITAL_SAMBA_EVENT_NAME = /^[a-z][a-z0-9_.]{0,63}$/i;
const BEARER = /^Bearer[ \t]+(\S(?:.*\S)?)$/i;
const MAX_ID_LENGTH = 256;

/**
 * Digital Samba, two senders:
 * - the platform: `Authorization: Bearer <authorization_header>` (a static token registered with the
 *   webhook), body `{eventType, sessionId, roomId, timestamp, data}`, snake_case names;
 * - senders built from the MCP server document: `X-DigitalSamba-Signature: sha256=<hex HMAC(secret,
 *   raw body)>` (or bare hex), body `{event, timestamp, data}`, dotted names.
 * Neither carries an event id, so the dedupe key is derived (see `dedupeKey`).
 */
@Injectable()
@WebhookProvider()
export class DigitalSambaAdapter implements ProviderAdapter {
  readonly source = 'digitalsamba';

  constructor(private readonly config: HubConfig) {}

  isConfigured(): boolean {
    const { tokens, secrets } = this.config.digitalsamba;
    return tokens.length > 0 || secrets.length > 0;
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const payload = requireJsonObject(body, 'a JSON object {eventType, sessionId, roomId, timestamp, data} or {event, timestamp, data}');

    // The platform says eventType, the document and the skill's examples say event; event_type is seen too.
    const nameField = (['eventType', 'event', 'event_type'] as const).find((k) => payload[k] !== undefined && payload[k] !== null);
    const name = nameField ? payload[nameField] : undefined;
    if (nameField === undefined) {
      errors.add('eventType', 'is required: the event name, e.g. "participant_joined" (the document format calls it "event")');
    } else if (typeof name !== 'string' || !DIGITAL_SAMBA_EVENT_NAME.test(name)) {
      errors.add(nameField, 'must be an event name of 1-64 characters [A-Za-z0-9_.] starting with a letter, e.g. "participant_joined"');
    }

    const data = payload.data ?? undefined;
    if (data !== undefined && !isJsonObject(data)) errors.add('data', 'must be an object');
    const inner: JsonObject = isJsonObject(data) ? data : {};

    const timestamp = payload.timestamp ?? undefined;
    if (timestamp !== undefined && toIsoTime(timestamp) === undefined) {
      errors.add('timestamp', 'must be unix seconds or an ISO 8601 date');
    }

    const roomId = pickId(errors, [['roomId', payload.roomId], ['data.room_id', inner.room_id], ['data.roomId', inner.roomId]]);
    const sessionId = pickId(errors, [['sessionId', payload.sessionId], ['data.session_id', inner.session_id], ['data.sessionId', inner.sessionId]]);
    errors.throwIfAny();

    const participantId = idOrUndefined(inner.participantId) ?? idOrUndefined(inner.participant_id);
    const event = name as string;
    return [
      {
        type: `digitalsamba.${event}`,
        dedupeKey: dedupeKey(event, sessionId, roomId, timestamp, participantId, request.rawBody),
        subject: roomId ?? sessionId,
        occurredAt: timestamp as string | number | undefined,
        // The payload as sent, plus the resolved names, so filters read data.roomId in both formats.
        data: {
          ...payload,
          event,
          ...(roomId !== undefined ? { roomId } : {}),
          ...(sessionId !== undefined ? { sessionId } : {}),
          ...(participantId !== undefined ? { participantId } : {}),
        },
      },
    ];
  }

  eventTypes(): EventTypeInfo[] {
    return DIGITAL_SAMBA_EVENT_TYPES;
  }

  /**
   * Every credential header that is present must be valid, and at least one must be: a wrong token
   * next to a right signature means a confused or hostile sender.
   */
  verify(request: InboundRequest): Verification {
    const { tokens, secrets } = this.config.digitalsamba;
    const authorization = request.headers['authorization'];
    const signatureHeader = request.headers['x-digitalsamba-signature'];
    const schemes: string[] = [];

    if (authorization !== undefined) {
      // Unset or wrong, the sender hears the same: which secrets are set is not its business.
      if (tokens.length === 0) return { ok: false, reason: 'invalid Authorization token', detail: 'Authorization is not accepted: DIGITAL_SAMBA_WEBHOOK_TOKEN is not set' };
      if (!matchesBearerOrBare(authorization, tokens)) return { ok: false, reason: 'invalid Authorization token' };
      schemes.push('bearer');
    }
    if (signatureHeader !== undefined) {
      const signature = parseHexSignature(signatureHeader, { prefix: 'sha256=', prefixOptional: true });
      if (!signature) return { ok: false, reason: 'malformed X-DigitalSamba-Signature: expected sha256=<64 hex digits> or 64 hex digits' };
      if (secrets.length === 0) {
        return { ok: false, reason: 'invalid X-DigitalSamba-Signature signature', detail: 'X-DigitalSamba-Signature is not accepted: DIGITAL_SAMBA_WEBHOOK_SECRET (or WEBHOOK_SECRET) is not set' };
      }
      if (!matchesAnySecret(signature, request.rawBody, secrets)) return { ok: false, reason: 'invalid X-DigitalSamba-Signature signature' };
      schemes.push('signature');
    }
    if (schemes.length === 0) {
      // Both ways, whichever is configured (the configuration goes to the log, not to the sender).
      return {
        ok: false,
        reason: 'missing credentials: send Authorization: Bearer <DIGITAL_SAMBA_WEBHOOK_TOKEN> or X-DigitalSamba-Signature: sha256=<hex HMAC-SHA256 of the body>',
      };
    }
    return { ok: true, scheme: schemes.join('+') };
  }
}

/**
 * The docs say the platform sends `Bearer <token>`; the vendor's skill says it sends the registered
 * value verbatim. Both readings are accepted; both comparisons always run, over digests.
 */
function matchesBearerOrBare(header: HeaderValue, tokens: readonly string[]): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const bearer = BEARER.exec(header);
  const asIs = matchesAnyToken(header, tokens);
  const stripped = matchesAnyToken(bearer ? bearer[1] : '', tokens);
  return asIs || stripped;
}

/**
 * Composite key when the delivery names who did what where and when (a redelivery re-serialised by
 * the platform still matches); otherwise the digest of the exact bytes. Vectors: reference §1.4.
 */
export function dedupeKey(
  event: string,
  sessionId: string | undefined,
  roomId: string | undefined,
  timestamp: unknown,
  participantId: string | undefined,
  rawBody: Buffer,
): string {
  if (sessionId !== undefined && roomId !== undefined && timestamp !== undefined && participantId !== undefined) {
    return sha256Hex(`${event}|${sessionId}|${roomId}|${String(timestamp)}|${participantId}`);
  }
  return sha256Hex(rawBody);
}

/** The first of the candidate fields that is present; it must be a sensible id string. */
function pickId(errors: FieldErrors, candidates: [string, unknown][]): string | undefined {
  const found = candidates.find(([, value]) => value !== undefined && value !== null);
  if (!found) return undefined;
  const [field, value] = found;
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ID_LENGTH) {
    errors.add(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
    return undefined;
  }
  return value;
}

function idOrUndefined(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '' && value.length <= MAX_ID_LENGTH) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

