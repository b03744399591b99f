import { HttpException } from '@nestjs/common';

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
 * Raises a deferred body error; each access guard (admin token, console, MCP) calls it last, once it
 * let the request through. Done in the guards rather than a global interceptor: a global interceptor
 * put Nest's interceptor chain (two AsyncResource.bind calls and an rxjs pipe) on every request,
 * ingress included, which measured 4-9 % of the gateway's CPU under load (docs/performance.md). Routes
 * without such a guard read no body (health, status, metrics), or are ingress routes, whose
 * WebhookAuthGuard and ingest parse answer body errors and count them for their source.
 */
export function raiseDeferredBodyError(req: object): void {
  const error = (req as DeferredBodyError).bodyError;
  if (error) throw error;
}
