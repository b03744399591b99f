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
 * Rate limit per source (not per client IP: platforms send from many addresses). Counts live in the
 * process, so the limit applies per gateway.
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
    const decision = this.limiter.hit(source);
    if (!decision.allowed) throw new TooManyRequestsException(decision.retryAfterSeconds, source);
    return true;
  }
}
