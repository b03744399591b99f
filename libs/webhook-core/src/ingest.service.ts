import { BadRequestException, Injectable, Logger, Optional } from '@nestjs/common';
import { HubMetrics, requestIdOf } from '@hub/observability';
import { HubConfig } from '@hub/config';
import { DomainEvent, EventsRepository, IngressStatsRepository, PendingEvent, SourceRateLimitedError, newEventId } from '@hub/store';
import { InboundRequest, IngestReply } from './provider-adapter';
import { ProviderRegistry } from './provider-registry';
import { InvalidJsonException } from './error-shapes';
import { JsonTooDeepException, MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth';
import { PayloadValidationError } from './payload-validation.error';
import { TooManyRequestsException } from './source-rate-limit.guard';
import { IsoTimeFormatter, toIsoTime } from './replay-window';
import { WebhookHttpRequest } from './webhook-request';

/** A JSON content type in UTF-8 (the default): its body was parsed by the framework's parser as it is here. */
const JSON_UTF8 = /^application\/(json|[a-z0-9.+-]+\+json)\s*(;\s*charset\s*=\s*"?utf-?8"?\s*)?$/i;

/**
 * Turns an authenticated request into stored events: take its JSON (parsed once), let the adapter
 * normalise, then store the batch in one Redis round trip.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);
  private readonly receivedAtFormatter = new IsoTimeFormatter();

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly events: EventsRepository,
    private readonly stats: IngressStatsRepository,
    private readonly config: HubConfig,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  /**
   * Counts a refused request (Redis counters for the stats views, Prometheus for scraping) and, told
   * why, logs it: one warn line with the source, the reason and the request id, never the body.
   */
  recordRejected(source: string, refusal?: { reason: string; requestId?: number | string }): void {
    this.stats.recordRejected(source);
    this.metrics?.ingressRequests.inc({ source, outcome: 'rejected' });
    if (refusal) {
      const { reason, requestId } = refusal;
      this.logger.warn({ source, reason, ...(requestId !== undefined ? { requestId } : {}) }, `refused a ${source} request: ${reason}`);
    }
  }

  async ingest(source: string, route: string, req: WebhookHttpRequest): Promise<IngestReply> {
    const verification = req.hubVerification;
    if (!verification) throw new Error('IngestService.ingest called on a request WebhookAuthGuard did not verify');
    const adapter = this.registry.get(source);
    const rawBody = req.rawBody ?? Buffer.alloc(0);
    const requestId = requestIdOf(req);
    const body = this.bodyOf(source, req, rawBody, requestId);
    const inbound: InboundRequest = { route, rawBody, headers: req.headers, query: req.query ?? {} };

    let normalized;
    try {
      normalized = adapter.normalize(body, inbound);
    } catch (error) {
      if (error instanceof PayloadValidationError) {
        this.recordRejected(source, { reason: error.message, requestId });
        throw new BadRequestException({ message: error.message, errors: error.errors });
      }
      throw error;
    }

    const receivedAt = this.receivedAtFormatter.format(Date.now());
    const batch: PendingEvent[] = normalized.map((n) => {
      const event: DomainEvent = {
        id: newEventId(),
        source,
        type: n.type,
        occurredAt: toIsoTime(n.occurredAt) ?? receivedAt,
        receivedAt,
        ...(n.subject ? { subject: n.subject } : {}),
        data: n.data,
        ...(n.meta ? { meta: n.meta } : {}),
      };
      return { event, dedupeKey: n.dedupeKey };
    });

    let outcomes;
    try {
      // The per-source limit counts authenticated requests only, in Redis (shared by every gateway),
      // inside the same script as the append: ingress stays one round trip.
      outcomes = await this.events.append(batch, Date.now(), {
        ...(adapter.dedupeTtlSeconds ? { dedupeTtlSeconds: adapter.dedupeTtlSeconds } : {}),
        rateLimit: this.config.rateLimit,
      });
    } catch (error) {
      if (!(error instanceof SourceRateLimitedError)) throw error;
      this.recordRejected(source, { reason: `rate limit exceeded; retry after ${error.retryAfterSeconds}s`, requestId });
      throw new TooManyRequestsException(error.retryAfterSeconds, source);
    }
    const accepted = outcomes.filter((o) => o.status === 'accepted').map((o) => o.id);
    const duplicates = outcomes.filter((o) => o.status === 'duplicate').map((o) => o.id);
    const outcome = { accepted, duplicates };
    this.metrics?.ingressRequests.inc({ source, outcome: accepted.length > 0 ? 'accepted' : 'duplicate' });
    if (accepted.length > 0) this.metrics?.eventsStored.inc({ source }, accepted.length);
    const acceptedIds = new Set(accepted);
    const stored = batch.map((p) => p.event).filter((e) => acceptedIds.has(e.id));
    let reply: IngestReply;
    if (accepted.length === 0 && duplicates.length > 0) {
      reply = { status: 200, body: { duplicate: true, id: duplicates[0], ids: duplicates }, outcome, stored };
    } else {
      reply = { status: accepted.length === 0 ? 200 : (verification.ackStatus ?? 202), body: outcome, outcome, stored };
    }
    return reply;
  }

  /**
   * The request's JSON. The adapters' body parsers already parsed a JSON body from these same bytes
   * and checked its depth (a failure waits on the request for this refusal): take theirs rather than
   * parse up to MAX_BODY_BYTES a second time. A text/plain body, or another charset, is parsed here.
   */
  private bodyOf(source: string, req: WebhookHttpRequest, rawBody: Buffer, requestId?: number | string): unknown {
    const contentType = req.headers['content-type'];
    const parsedByFramework =
      rawBody.length > 0 &&
      !(req as { bodyError?: unknown }).bodyError &&
      typeof req.body === 'object' &&
      req.body !== null &&
      typeof contentType === 'string' &&
      JSON_UTF8.test(contentType);
    return parsedByFramework ? req.body : this.parseJson(source, rawBody, requestId);
  }

  private parseJson(source: string, rawBody: Buffer, requestId?: number | string): unknown {
    if (rawBody.length === 0) {
      this.recordRejected(source, { reason: 'the request body is empty', requestId });
      throw new InvalidJsonException('the request body is empty');
    }
    const text = rawBody.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // The parser's message quotes the body: the sender reads it, the log does not.
      this.recordRejected(source, { reason: 'invalid JSON', requestId });
      throw new InvalidJsonException((error as Error).message);
    }
    if (jsonDepthExceeds(value, MAX_JSON_DEPTH, text)) {
      const tooDeep = new JsonTooDeepException();
      this.recordRejected(source, { reason: tooDeep.message, requestId });
      throw tooDeep;
    }
    return value;
  }
}
