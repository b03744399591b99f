import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { WEBHOOK_SOURCE } from './webhook-request';

/**
 * Rate limit per source (not per client IP: platforms send from many addresses). Over the limit a
 * sender gets 429 with Retry-After. Counts live in the process, so the limit applies per gateway.
 */
@Injectable()
export class SourceRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>, context?: ExecutionContext): Promise<string> {
    const source = context ? this.reflector.get<string>(WEBHOOK_SOURCE, context.getHandler()) : undefined;
    return `source:${source ?? 'unknown'}`;
  }
}
