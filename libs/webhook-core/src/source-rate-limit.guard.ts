import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HubConfig } from '@hub/config';
import { SourceRateLimiter } from './source-rate-limiter';
import { WEBHOOK_SOURCE } from './webhook-request';

/** 429 with the seconds a sender should wait; the error filter turns it into a Retry-After header. */
export class TooManyRequestsException extends HttpException {
  constructor(readonly retryAfterSeconds: number, source: string) {
    super(`rate limit exceeded for source ${source}; retry after ${retryAfterSeconds}s`, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * The pre-authentication limit, per (source, client address): one address sending junk is slowed
 * down without touching anyone else, and without a Redis round trip for requests that may be junk.
 * The per-source limit that protects the store counts authenticated requests only, in Redis, shared
 * by every gateway (IngestService, inside the append script). Behind a proxy every request shares
 * the proxy's address (the hub does not trust X-Forwarded-For).
 */
@Injectable()
export class SourceRateLimitGuard implements CanActivate {
  private readonly limiter: SourceRateLimiter;

  constructor(
    private readonly reflector: Reflector,
    config: HubConfig,
  ) {
    this.limiter = new SourceRateLimiter(config.rateLimit.limit, config.rateLimit.windowMs);
  }

  canActivate(context: ExecutionContext): boolean {
    const source = this.reflector.get<string>(WEBHOOK_SOURCE, context.getHandler()) ?? 'unknown';
    const req = context.switchToHttp().getRequest<{ ip?: string; socket?: { remoteAddress?: string } }>();
    const decision = this.limiter.hit(`${source}|${req.ip ?? req.socket?.remoteAddress ?? 'unknown'}`);
    if (!decision.allowed) throw new TooManyRequestsException(decision.retryAfterSeconds, source);
    return true;
  }
}
