import {
  CanActivate,
  ExecutionContext,
  HttpException,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HubMetrics, requestIdOf } from '@hub/observability';
import { DeferredBodyError } from './deferred-body-error';
import { describeHttpException } from './hub-exception.filter';
import { IngestService } from './ingest.service';
import { InvalidJsonException } from './error-shapes';
import { JsonTooDeepException } from './json-depth';
import { ProviderRegistry } from './provider-registry';
import { WEBHOOK_ROUTE, WEBHOOK_SOURCE, WebhookHttpRequest } from './webhook-request';

const ACCEPTED_CONTENT_TYPES = /^(application\/json|application\/[a-z0-9.+-]+\+json|text\/plain)\s*(;|$)/i;

/**
 * Fails closed: an unconfigured provider answers 503, a request that does not authenticate 401.
 * Verification runs over the raw bytes captured by the body parser, never over re-serialised JSON.
 */
@Injectable()
export class WebhookAuthGuard implements CanActivate {
  private readonly logger = new Logger(WebhookAuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: ProviderRegistry,
    private readonly ingest: IngestService,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const source = this.reflector.get<string>(WEBHOOK_SOURCE, context.getHandler());
    try {
      return this.check(source, context);
    } catch (error) {
      // One warn line per refusal: a request that does not authenticate was logged below, with the detail.
      const req = context.switchToHttp().getRequest<unknown>();
      const reason = error instanceof HttpException ? describeHttpException(error).message : 'could not read the request';
      this.ingest.recordRejected(source, error instanceof UnauthorizedException ? undefined : { reason, requestId: requestIdOf(req) });
      throw error;
    }
  }

  private check(source: string, context: ExecutionContext): boolean {
    const route = this.reflector.get<string>(WEBHOOK_ROUTE, context.getHandler()) ?? 'default';
    const adapter = this.registry.get(source);
    const req = context.switchToHttp().getRequest<WebhookHttpRequest & DeferredBodyError>();

    if (!adapter.isConfigured()) {
      throw new ServiceUnavailableException(`provider not configured: set the ${source} webhook secret(s)`);
    }
    const contentType = req.headers['content-type'];
    if (typeof contentType !== 'string' || !ACCEPTED_CONTENT_TYPES.test(contentType)) {
      throw new UnsupportedMediaTypeException(
        `Content-Type must be application/json (or text/plain holding JSON); got ${
          typeof contentType === 'string' ? JSON.stringify(contentType.slice(0, 100)) : 'none'
        }`,
      );
    }
    // Bytes that were never read (too large, an encoding or charset the hub cannot decode) cannot be
    // verified: refused here, counted. Invalid or too-deep JSON is verified first and refused by the parse.
    const bodyError = req.bodyError;
    if (bodyError && !(bodyError instanceof InvalidJsonException || bodyError instanceof JsonTooDeepException)) throw bodyError;
    let verification;
    try {
      verification = adapter.verify({ route, rawBody: req.rawBody ?? Buffer.alloc(0), headers: req.headers, query: req.query ?? {} });
    } catch {
      // Adapters must not throw on client input; if one ever does, the sender still gets a 401, not a 500.
      verification = { ok: false as const, reason: 'could not verify the request' };
    }
    if (!verification.ok) {
      // The sender reads the reason; the operator also reads what only the configuration explains.
      const { reason, detail } = verification;
      this.metrics?.verificationFailures.inc({ source, reason });
      this.logger.warn({ source, reason, ...(detail ? { detail } : {}), requestId: requestIdOf(req) }, `refused a ${source} request: ${reason}${detail ? ` (${detail})` : ''}`);
      throw new UnauthorizedException(verification.reason);
    }
    req.hubVerification = verification;
    return true;
  }
}
