import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { WEBHOOK_SOURCE } from './webhook-request';

/**
 * A body the parsers could not read (invalid JSON, too deep, too large, odd charset) is not refused
 * by the parser: the error waits on the request until the route's guards have run, so a caller who
 * is not authenticated hears 401 first, and ingress can count the refusal for its source.
 */
export interface DeferredBodyError {
  bodyError?: HttpException;
}

/** Records a body error on the request for later (the body itself stays unparsed). */
export function deferBodyError(req: object, error: HttpException): void {
  (req as DeferredBodyError).bodyError ??= error;
}

/**
 * Raises a deferred body error once every guard has let the request through. Ingress routes are left
 * to WebhookAuthGuard and the ingest parse, which count the refusal for their source.
 */
@Injectable()
export class DeferredBodyErrorInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const error = context.switchToHttp().getRequest<DeferredBodyError>().bodyError;
    if (error && !this.reflector.get<string>(WEBHOOK_SOURCE, context.getHandler())) throw error;
    return next.handle();
  }
}
