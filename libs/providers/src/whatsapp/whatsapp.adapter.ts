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
  parseHexSignature,
  sha256Hex,
  JsonObject,
  isJsonObject,
  requireJsonObject,
} from '@hub/webhook-core';
import { WHATSAPP_EVENT_TYPES } from './whatsapp-event-types';

const FIELD_NAME = /^[a-z0-9_]{1,64}$/;
const BRIDGE_EVENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * WhatsApp, two senders:
 * - Meta Cloud API: `X-Hub-Signature-256: sha256=<hex HMAC(App Secret, raw body)>`; one POST may batch
 *   many entries, changes, messages and statuses, each becoming its own event.
 * - the MCP bridge of the seed document: `X-Webhook-Signature: sha256=<hex>` or bare hex, body
 *   `{event, timestamp, data}`, one event per delivery.
 */
@Injectable()
@WebhookProvider()
export class WhatsAppAdapter implements ProviderAdapter {
  readonly source = 'whatsapp';
  /** Meta retries a delivery for up to 7 days: its redeliveries must still be recognised then. */
  readonly dedupeTtlSeconds = 7 * 86_400;

  constructor(private readonly config: HubConfig) {}

  isConfigured(): boolean {
    const { appSecrets, webhookSecrets } = this.config.whatsapp;
    return appSecrets.length > 0 || webhookSecrets.length > 0;
  }

  verify(request: InboundRequest): Verification {
    const { appSecrets, webhookSecrets } = this.config.whatsapp;
    const meta = request.headers['x-hub-signature-256'];
    if (meta !== undefined) {
      const signature = parseHexSignature(meta, { prefix: 'sha256=' });
      if (!signature) return { ok: false, reason: 'malformed X-Hub-Signature-256: expected sha256=<64 hex digits>' };
      // Unset or wrong, the sender hears the same: which secrets are set is not its business.
      if (appSecrets.length === 0) return { ok: false, reason: 'invalid X-Hub-Signature-256 signature', detail: 'X-Hub-Signature-256 is not accepted: WHATSAPP_APP_SECRET is not set' };
      if (!matchesAnySecret(signature, request.rawBody, appSecrets)) return { ok: false, reason: 'invalid X-Hub-Signature-256 signature' };
      // Meta retries any answer other than 200 for up to 7 days.
      return { ok: true, scheme: 'meta', ackStatus: 200 };
    }
    const bridge = request.headers['x-webhook-signature'];
    if (bridge !== undefined) {
      const signature = parseHexSignature(bridge, { prefix: 'sha256=', prefixOptional: true });
      if (!signature) return { ok: false, reason: 'malformed X-Webhook-Signature: expected sha256=<64 hex digits> or 64 hex digits' };
      if (webhookSecrets.length === 0) return { ok: false, reason: 'invalid X-Webhook-Signature signature', detail: 'X-Webhook-Signature is not accepted: WHATSAPP_WEBHOOK_SECRET is not set' };
      if (!matchesAnySecret(signature, request.rawBody, webhookSecrets)) return { ok: false, reason: 'invalid X-Webhook-Signature signature' };
      return { ok: true, scheme: 'bridge' };
    }
    return { ok: false, reason: 'missing signature: send X-Hub-Signature-256 (Meta) or X-Webhook-Signature (bridge)' };
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const payload = requireJsonObject(body);
    if (payload.object !== undefined || payload.entry !== undefined) return this.normalizeMeta(payload, errors);
    if (payload.event !== undefined) return this.normalizeBridge(payload, request, errors);
    errors.add('object', 'must be "whatsapp_business_account" (Meta Cloud API delivery)');
    errors.add('event', 'must be the event name (bridge delivery {event, timestamp, data})');
    errors.throwIfAny();
    return [];
  }

  eventTypes(): EventTypeInfo[] {
    return WHATSAPP_EVENT_TYPES;
  }

  private normalizeMeta(payload: JsonObject, errors: FieldErrors): NormalizedEvent[] {
    if (payload.object !== 'whatsapp_business_account') errors.add('object', 'must be "whatsapp_business_account"');
    if (!Array.isArray(payload.entry)) errors.add('entry', 'must be an array');
    errors.throwIfAny();

    const events: NormalizedEvent[] = [];
    (payload.entry as unknown[]).forEach((entry, e) => {
      const at = `entry[${e}]`;
      if (!isJsonObject(entry)) return errors.add(at, 'must be an object');
      if (!Array.isArray(entry.changes)) return errors.add(`${at}.changes`, 'must be an array');
      const wabaId = typeof entry.id === 'string' ? entry.id : undefined;
      entry.changes.forEach((change, c) => {
        const cat = `${at}.changes[${c}]`;
        if (!isJsonObject(change)) return errors.add(cat, 'must be an object');
        if (typeof change.field !== 'string' || !FIELD_NAME.test(change.field)) {
          return errors.add(`${cat}.field`, 'must be a lower-case field name');
        }
        if (!isJsonObject(change.value)) return errors.add(`${cat}.value`, 'must be an object');
        if (change.field === 'messages') events.push(...this.messagesChange(change.value, wabaId, `${cat}.value`, errors));
        else events.push(genericChange(change.field, change.value, wabaId, entry.time));
      });
    });
    errors.throwIfAny();
    return events;
  }

  private messagesChange(value: JsonObject, wabaId: string | undefined, at: string, errors: FieldErrors): NormalizedEvent[] {
    const events: NormalizedEvent[] = [];
    const metadata = value.metadata;
    const contacts = Array.isArray(value.contacts) ? value.contacts.filter(isJsonObject) : [];
    const listed = ['messages', 'statuses', 'errors'].filter((k) => value[k] !== undefined);
    for (const key of listed) if (!Array.isArray(value[key])) errors.add(`${at}.${key}`, 'must be an array');
    if (errors.any) return events;

    ((value.messages as unknown[]) ?? []).forEach((message, i) => {
      if (!isJsonObject(message) || typeof message.id !== 'string' || message.id === '') {
        return errors.add(`${at}.messages[${i}].id`, 'must be a non-empty string (the wamid)');
      }
      const from = typeof message.from === 'string' ? message.from : undefined;
      events.push({
        type: 'whatsapp.message.received',
        dedupeKey: `wamid:${message.id}`,
        subject: from,
        occurredAt: message.timestamp as string | undefined,
        data: { wabaId, metadata, contact: contacts.find((ct) => ct.wa_id === from), message },
      });
    });
    ((value.statuses as unknown[]) ?? []).forEach((status, i) => {
      if (!isJsonObject(status) || typeof status.id !== 'string' || status.id === '') {
        return errors.add(`${at}.statuses[${i}].id`, 'must be a non-empty string (the wamid)');
      }
      if (typeof status.status !== 'string' || status.status === '') {
        return errors.add(`${at}.statuses[${i}].status`, 'must be a non-empty string');
      }
      events.push({
        type: 'whatsapp.message.status',
        dedupeKey: `status:${status.id}:${status.status}`,
        subject: typeof status.recipient_id === 'string' ? status.recipient_id : undefined,
        occurredAt: status.timestamp as string | undefined,
        data: { wabaId, metadata, status },
      });
    });
    ((value.errors as unknown[]) ?? []).forEach((error) => {
      events.push({
        type: 'whatsapp.error',
        dedupeKey: `error:${sha256Hex(JSON.stringify([wabaId, metadata, error]))}`,
        data: { wabaId, metadata, error },
      });
    });
    if (listed.length === 0) events.push(genericChange('messages', value, wabaId, undefined));
    return events;
  }

  private normalizeBridge(payload: JsonObject, request: InboundRequest, errors: FieldErrors): NormalizedEvent[] {
    const name = payload.event;
    if (typeof name !== 'string' || !BRIDGE_EVENT_NAME.test(name)) {
      errors.add('event', 'must be an event name such as "message.received"');
    }
    if (payload.data !== undefined && !isJsonObject(payload.data) && !Array.isArray(payload.data)) {
      errors.add('data', 'must be an object or an array');
    }
    if (payload.timestamp !== undefined && typeof payload.timestamp !== 'number' && typeof payload.timestamp !== 'string') {
      errors.add('timestamp', 'must be unix milliseconds, unix seconds or an ISO date');
    }
    errors.throwIfAny();
    const event = name as string;
    const data = payload.data;
    const keys = bridgeMessageKeys(data);
    const dedupeKey =
      keys.length > 0
        ? `bridge:${event}:${keys.map((k) => `${k.remoteJid ?? ''}/${k.id}${k.status ? `/${k.status}` : ''}`).join(',')}`
        : `bridge:${event}:${sha256Hex(request.rawBody)}`;
    return [
      {
        type: `whatsapp.${event}`,
        dedupeKey,
        subject: keys[0]?.remoteJid ?? stringField(data, 'from') ?? stringField(data, 'id'),
        occurredAt: payload.timestamp as number | string | undefined,
        data: data ?? null,
      },
    ];
  }
}

interface MessageKey {
  id: string;
  remoteJid?: string;
  status?: string;
}

/** Baileys message keys in a bridge payload: `data.messages[].key`, `data.key`, `data[].key` or `data.id`. */
function bridgeMessageKeys(data: unknown): MessageKey[] {
  const items: unknown[] = Array.isArray(data)
    ? data
    : isJsonObject(data) && Array.isArray(data.messages)
      ? data.messages
      : isJsonObject(data)
        ? [data]
        : [];
  const keys: MessageKey[] = [];
  for (const item of items) {
    if (!isJsonObject(item)) continue;
    const key = isJsonObject(item.key) ? item.key : item;
    if (typeof key.id !== 'string' || key.id === '') continue;
    const update = isJsonObject(item.update) ? item.update : undefined;
    const status = update?.status ?? item.status;
    keys.push({
      id: key.id,
      remoteJid: typeof key.remoteJid === 'string' ? key.remoteJid : undefined,
      status: status === undefined ? undefined : String(status),
    });
  }
  return keys;
}

function genericChange(field: string, value: JsonObject, wabaId: string | undefined, time: unknown): NormalizedEvent {
  return {
    type: `whatsapp.${field}`,
    dedupeKey: `change:${field}:${sha256Hex(JSON.stringify([wabaId, time ?? null, value]))}`,
    occurredAt: time as number | undefined,
    data: { wabaId, ...value },
  };
}

function stringField(data: unknown, key: string): string | undefined {
  return isJsonObject(data) && typeof data[key] === 'string' ? (data[key] as string) : undefined;
}
