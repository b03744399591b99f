import { Verification } from './provider-adapter';

export const WEBHOOK_SOURCE = 'hub:webhook-source';
export const WEBHOOK_ROUTE = 'hub:webhook-route';

/** The framework request as the core reads it (the same on Express and Fastify). */
export interface WebhookHttpRequest {
  rawBody?: Buffer;
  /** What the framework's body parser made of `rawBody` (JSON: the parsed value). */
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  /** Set by WebhookAuthGuard once the request is authentic. */
  hubVerification?: Extract<Verification, { ok: true }>;
}

/** The one response method used, present on Express responses and Fastify replies alike. */
export interface StatusSettable {
  status(code: number): unknown;
}
