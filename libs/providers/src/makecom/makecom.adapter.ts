import { Injectable } from '@nestjs/common';
import { HubConfig, MakeComAuthMode } from '@hub/config';
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
import { MAKECOM_EVENT_TYPES } from './makecom-event-types';

/** `:scenario` of `/api/webhook/make.com/:scenario`; the seed's route is `chatgpt-clients`. */
export const MAKECOM_SCENARIO_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
/** `action_id` becomes part of the event type, so it must be glob- and key-safe. */
export const MAKECOM_ACTION_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
/** 1-255 printable ASCII characters, as Stripe-style idempotency keys are. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const MAX_CLIENT_ID_LENGTH = 256;

/**
 * Make.com scenarios calling the hub with the HTTP module. Make signs nothing itself, so the author
 * adds `x-make-apikey` (Make's own convention for its inbound hooks) and/or an
 * `X-Hub-Signature-256: sha256=<hex HMAC(secret, raw body)>` computed with Make's `sha256()`;
 * MAKE_COM_AUTH says which are required. Make has no delivery id either: `Idempotency-Key` (e.g.
 * `{{var.scenario.executionId}}:<record id>`) is the dedupe key when sent.
 */
@Injectable()
@WebhookProvider()
export class MakeComAdapter implements ProviderAdapter {
  readonly source = 'makecom';

  constructor(private readonly config: HubConfig) {}

  /** Fails closed: the mode's required scheme(s) must have credentials configured. */
  isConfigured(): boolean {
    const { apiKeys, secrets, mode, validationEnabled } = this.config.makecom;
    // WEBHOOK_VALIDATION_ENABLED=false (loopback only, checked at boot) is the seed's unsigned laptop mode.
    if (!validationEnabled) return true;
    const hasKey = apiKeys.length > 0;
    const hasSecret = secrets.length > 0;
    switch (mode) {
      case 'apikey':
        return hasKey;
      case 'signature':
        return hasSecret;
      case 'both':
        return hasKey && hasSecret;
      default:
        return hasKey || hasSecret;
    }
  }

  normalize(body: unknown, request: InboundRequest): NormalizedEvent[] {
    const errors = new FieldErrors();
    const scenario = request.route;
    if (!MAKECOM_SCENARIO_NAME.test(scenario)) {
      errors.add('scenario', 'must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit');
    }
    const idempotencyKey = request.headers['idempotency-key'];
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
      errors.add('Idempotency-Key', 'header must be 1-255 printable ASCII characters');
    }
    const payload = requireJsonObject(body, 'a JSON object {client_id, action_id, task}');
    requireString(errors, payload, 'client_id', MAX_CLIENT_ID_LENGTH);
    if (requireString(errors, payload, 'action_id', 64) && !MAKECOM_ACTION_ID.test(payload.action_id as string)) {
      errors.add('action_id', 'must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit, e.g. "get_client_data"');
    }
    // The seed's scenario always sends the task it is about; requiring it catches a broken mapping early.
    if (payload.task === undefined || payload.task === null) errors.add('task', 'is required: an object (the task the action is about)');
    else if (!isJsonObject(payload.task)) errors.add('task', 'must be an object');
    errors.throwIfAny();

    const key = idempotencyKey as string | undefined;
    const meta: JsonObject = { scenario, ...(key !== undefined ? { idempotencyKey: key } : {}) };
    // The route names the scenario; a different `scenario` field in the body is kept, not lost.
    if (payload.scenario !== undefined && payload.scenario !== scenario) meta.bodyScenario = payload.scenario;
    return [
      {
        type: `makecom.${payload.action_id as string}`,
        // Keys are scoped per scenario: two scenarios may number their executions independently.
        dedupeKey: key !== undefined ? `idem:${scenario}:${key}` : `body:${scenario}:${sha256Hex(request.rawBody)}`,
        subject: payload.client_id as string,
        data: { ...payload, scenario },
        meta,
      },
    ];
  }

  eventTypes(): EventTypeInfo[] {
    return MAKECOM_EVENT_TYPES;
  }

  /**
   * Every credential header that is present must be valid (a wrong key beside a right signature is a
   * confused or hostile sender), and the mode says which must be present.
   */
  verify(request: InboundRequest): Verification {
    const { apiKeys, secrets, mode } = this.config.makecom;
    const apiKeyHeader = request.headers['x-make-apikey'];
    const signatureHeader = request.headers['x-hub-signature-256'];
    let keyOk = false;
    let signatureOk = false;

    if (apiKeyHeader !== undefined) {
      if (apiKeys.length === 0) return { ok: false, reason: 'invalid x-make-apikey', detail: 'x-make-apikey is not accepted: MAKE_COM_API_KEY is not set' };
      if (!matchesAnyToken(apiKeyHeader, apiKeys)) return { ok: false, reason: 'invalid x-make-apikey' };
      keyOk = true;
    }
    if (signatureHeader !== undefined) {
      const signature = parseHexSignature(signatureHeader, { prefix: 'sha256=' });
      if (!signature) return { ok: false, reason: 'malformed X-Hub-Signature-256: expected sha256=<64 hex digits>' };
      if (secrets.length === 0) return { ok: false, reason: 'invalid X-Hub-Signature-256 signature', detail: 'X-Hub-Signature-256 is not accepted: MAKE_COM_WEBHOOK_SECRET is not set' };
      if (!matchesAnySecret(signature, request.rawBody, secrets)) return { ok: false, reason: 'invalid X-Hub-Signature-256 signature' };
      signatureOk = true;
    }

    // Validation off: credentials that are sent are still checked above, but none are required.
    if (!this.config.makecom.validationEnabled && !keyOk && !signatureOk) return { ok: true, scheme: 'unverified' };
    const missing = missingFor(mode, keyOk, signatureOk);
    if (missing) return { ok: false, reason: missing };
    return { ok: true, scheme: [keyOk && 'apikey', signatureOk && 'signature'].filter(Boolean).join('+') };
  }
}

/** The reason a verified-so-far request still falls short of MAKE_COM_AUTH, or undefined when it does not. */
function missingFor(mode: MakeComAuthMode, keyOk: boolean, signatureOk: boolean): string | undefined {
  switch (mode) {
    case 'apikey':
      return keyOk ? undefined : 'missing x-make-apikey (MAKE_COM_AUTH=apikey)';
    case 'signature':
      return signatureOk ? undefined : 'missing X-Hub-Signature-256 (MAKE_COM_AUTH=signature)';
    case 'both':
      if (keyOk && signatureOk) return undefined;
      return `missing ${[!keyOk && 'x-make-apikey', !signatureOk && 'X-Hub-Signature-256'].filter(Boolean).join(' and ')} (MAKE_COM_AUTH=both requires x-make-apikey and X-Hub-Signature-256)`;
    default: {
      if (keyOk || signatureOk) return undefined;
      // Both schemes are named whatever is configured: which secrets are set is not the sender's business.
      return 'missing credentials: send x-make-apikey or X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>';
    }
  }
}

/** Adds a field error unless `payload[field]` is a non-blank string of at most `max` characters. */
function requireString(errors: FieldErrors, payload: JsonObject, field: string, max: number): boolean {
  const value = payload[field];
  if (value === undefined || value === null) errors.add(field, 'is required: a non-empty string');
  else if (typeof value !== 'string' || value.trim() === '') errors.add(field, 'must be a non-empty string');
  else if (value.length > max) errors.add(field, `must be at most ${max} characters`);
  else return true;
  return false;
}

