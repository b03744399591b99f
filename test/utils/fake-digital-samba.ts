import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpServer } from './local-http-server';

/** A webhook as the Digital Samba REST API returns it. */
export interface FakeWebhook {
  id: string;
  endpoint: string;
  name: string | null;
  events: string[];
  authorization_header: string | null;
  created_at: string;
  updated_at: string;
}

export interface FakeRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v1/webhooks`. */
  path: string;
  query: Record<string, string>;
  /** The Authorization header as received. */
  authorization?: string;
  body?: unknown;
  status: number;
}

/** The event names of GET /api/v1/events (a subset of the July 2026 list). */
export const FAKE_DS_EVENTS = [
  'session_started',
  'session_ended',
  'participant_joined',
  'participant_left',
  'recording_started',
  'recording_stopped',
  'recording_ready',
  'question_asked',
  'file_added_to_library',
];

const BASE = '/api/v1';

/**
 * A local stand-in for the Digital Samba REST API (reference provider-protocols §1.1) on a real
 * loopback port: `GET /events`, `GET|POST /webhooks` (limit/offset pagination, `{data, total_count}`
 * with total_count a string), `GET|PATCH|DELETE /webhooks/:id`, every route behind
 * `Authorization: Bearer <developer key>` (401 otherwise). Validation errors answer 422. Every
 * request is kept in `log`.
 */
export class FakeDigitalSamba extends LocalHttpServer {
  readonly log: FakeRequest[] = [];
  readonly webhooks = new Map<string, FakeWebhook>();
  events = [...FAKE_DS_EVENTS];
  private clock = Date.parse('2026-01-01T00:00:00Z');

  constructor(readonly keys: string[]) {
    super();
  }

  /** The base URL to give the hub as DIGITAL_SAMBA_API_URL. */
  get apiUrl(): string {
    return `${this.origin}${BASE}`;
  }

  /** Adds a webhook directly (as if created in the dashboard); newer ones sort first, as the API does. */
  seed(endpoint: string, events: string[] = ['session_started'], name: string | null = 'dashboard'): FakeWebhook {
    const now = this.tick();
    const webhook: FakeWebhook = { id: randomUUID(), endpoint, name, events, authorization_header: null, created_at: now, updated_at: now };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  /** The log without the bodies, as `METHOD /path` lines. */
  calls(): string[] {
    return this.log.map((r) => `${r.method} ${r.path}`);
  }

  findByEndpoint(endpoint: string): FakeWebhook[] {
    return [...this.webhooks.values()].filter((w) => w.endpoint === endpoint);
  }

  private tick(): string {
    this.clock += 1_000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  protected handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry: FakeRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      status: 0,
    };
    this.log.push(entry);
    const send = (status: number, body?: unknown) => {
      entry.status = status;
      if (body === undefined) {
        res.writeHead(status);
        res.end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }
    };

    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !this.keys.includes(auth[1])) return send(401, { message: 'Unauthenticated.' });

    if (raw) {
      try {
        entry.body = JSON.parse(raw);
      } catch {
        return send(400, { message: 'Malformed JSON body.' });
      }
    }
    const body = (entry.body ?? {}) as Record<string, unknown>;

    if (url.pathname === `${BASE}/events` && req.method === 'GET') return send(200, this.events);

    if (url.pathname === `${BASE}/webhooks`) {
      if (req.method === 'GET') {
        const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 100;
        const offset = url.searchParams.has('offset') ? Number(url.searchParams.get('offset')) : 0;
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return send(422, { message: 'The limit field must be between 1 and 100.', errors: { limit: ['The limit field must be between 1 and 100.'] } });
        if (!Number.isInteger(offset) || offset < 0) return send(422, { message: 'The offset field must be at least 0.', errors: { offset: ['The offset field must be at least 0.'] } });
        const all = [...this.webhooks.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
        return send(200, { data: all.slice(offset, offset + limit), total_count: String(all.length) });
      }
      if (req.method === 'POST') {
        const errors = this.validate(body, true);
        if (errors) return send(422, { message: Object.values(errors)[0][0], errors });
        const now = this.tick();
        const webhook: FakeWebhook = {
          id: randomUUID(),
          endpoint: body.endpoint as string,
          name: (body.name as string | null | undefined) ?? null,
          events: body.events as string[],
          authorization_header: (body.authorization_header as string | null | undefined) ?? null,
          created_at: now,
          updated_at: now,
        };
        this.webhooks.set(webhook.id, webhook);
        return send(200, webhook);
      }
      return send(405, { message: 'Method not allowed.' });
    }

    const one = new RegExp(`^${BASE}/webhooks/([^/]+)$`).exec(url.pathname);
    if (one) {
      const webhook = this.webhooks.get(decodeURIComponent(one[1]));
      if (!webhook) return send(404, { message: 'Webhook not found.' });
      if (req.method === 'GET') return send(200, webhook);
      if (req.method === 'PATCH') {
        const errors = this.validate(body, false);
        if (errors) return send(422, { message: Object.values(errors)[0][0], errors });
        for (const field of ['endpoint', 'name', 'events', 'authorization_header'] as const) {
          if (field in body) (webhook as unknown as Record<string, unknown>)[field] = body[field];
        }
        webhook.updated_at = this.tick();
        return send(200, webhook);
      }
      if (req.method === 'DELETE') {
        this.webhooks.delete(webhook.id);
        return send(204);
      }
      return send(405, { message: 'Method not allowed.' });
    }
    return send(404, { message: 'Not found.' });
  }

  /** The create/update rules of §1.1; null when the body is valid. */
  private validate(body: Record<string, unknown>, creating: boolean): Record<string, string[]> | null {
    const errors: Record<string, string[]> = {};
    if (creating || 'endpoint' in body) {
      const endpoint = body.endpoint;
      if (typeof endpoint !== 'string' || endpoint.length < 3 || endpoint.length > 100) errors.endpoint = ['The endpoint field must be between 3 and 100 characters.'];
      else if (!/^https?:\/\/\S+$/.test(endpoint)) errors.endpoint = ['The endpoint field must be a valid URL.'];
    }
    if (creating || 'events' in body) {
      const events = body.events;
      if (!Array.isArray(events) || events.length === 0) errors.events = ['The events field is required.'];
      else if (!events.every((e) => typeof e === 'string' && this.events.includes(e))) errors.events = ['The selected events is invalid.'];
    }
    if ('name' in body && body.name !== null && (typeof body.name !== 'string' || body.name.length < 3 || body.name.length > 100)) {
      errors.name = ['The name field must be between 3 and 100 characters.'];
    }
    if ('authorization_header' in body && body.authorization_header !== null && typeof body.authorization_header !== 'string') {
      errors.authorization_header = ['The authorization header field must be a string.'];
    }
    return Object.keys(errors).length ? errors : null;
  }
}
