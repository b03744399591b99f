import type { DomainEvent } from '@hub/store';

/** What a provider adapter sees of a request: the exact bytes received and the headers, never re-serialised JSON. */
export interface InboundRequest {
  /** The route key the controller gave (`default`, or e.g. `events` / `responses` for multi-route providers). */
  route: string;
  rawBody: Buffer;
  /** Lower-cased header names, as Node delivers them; duplicated custom headers arrive joined with ", ". */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
}

export type Verification =
  | {
      ok: true;
      /** Which scheme authenticated the request (e.g. `meta`, `bridge`); recorded with the events. */
      scheme: string;
      /** Status for an accepted delivery when the platform insists on one (Meta retries anything but 200). */
      ackStatus?: number;
    }
  /**
   * `reason` is what the sender reads (never which secrets are configured); `detail`, when it knows
   * more (a scheme whose secret is unset), goes only to the log.
   */
  | { ok: false; reason: string; detail?: string };

/** One event as a provider describes it; the core adds id, source and timestamps. */
export interface NormalizedEvent {
  /** Full type, `<source>.<platform event name>`. */
  type: string;
  /** Unique per source for one real-world occurrence, so a redelivery is recognised. */
  dedupeKey: string;
  subject?: string;
  /** Unix seconds, unix milliseconds, ISO string or Date; missing or unparsable means "when received". */
  occurredAt?: string | number | Date;
  data: unknown;
  /** Delivery facts worth keeping beside the payload (a sender's retry count, original timestamp). */
  meta?: Record<string, unknown>;
}

export interface EventTypeInfo {
  type: string;
  description: string;
}

/**
 * The contract between the webhook core and a provider. The core owns HTTP, rate limits, errors and
 * storage; an adapter only answers: is it configured, is this request authentic, what events does it hold.
 */
export interface ProviderAdapter {
  /** Event source name, the prefix of every type it emits (`whatsapp`). */
  readonly source: string;
  /**
   * How long a redelivery is recognised, when the platform retries for longer than DEDUPE_TTL_SECONDS
   * (Meta retries for 7 days); the longer of the two applies.
   */
  readonly dedupeTtlSeconds?: number;
  /** False when no secret is set: the core then answers 503 and never skips verification. */
  isConfigured(): boolean;
  /** Authenticates the raw request; must not throw for any client input. */
  verify(request: InboundRequest): Verification;
  /** Turns a parsed JSON body into events; throws PayloadValidationError naming bad fields. */
  normalize(body: unknown, request: InboundRequest): NormalizedEvent[];
  /** Every event type this provider knows, for listings and docs. */
  eventTypes(): EventTypeInfo[];
  /** Optional: what the hub knows of the sender's own health (a bridge's last report), for `GET /api/status`. */
  senderHealth?(): Promise<Record<string, unknown> | null>;
}

/** What an ingress route answers: status and JSON body. */
export interface IngestReply {
  status: number;
  body: unknown;
  /** What was stored and what was a duplicate. */
  outcome: { accepted: string[]; duplicates: string[] };
  /** The events stored by this request (not the duplicates), for routes that answer with work done on them. */
  stored?: DomainEvent[];
}
