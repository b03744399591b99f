import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';

/** A counter here; Fastify's own id (`req-1`, ...) on Fastify, which sets it on the raw request first. */
export type RequestId = number | string;

/** The id of the request being served, for every line logged while serving it (the pino `mixin`). */
const currentRequest = new AsyncLocalStorage<RequestId>();

export function currentRequestId(): RequestId | undefined {
  return currentRequest.getStore();
}

/**
 * The id the request logging gave a request (`req.id`): the framework request on Express, its raw
 * request on Fastify (where `FastifyRequest.id` is Fastify's own, unrelated, id).
 */
export function requestIdOf(req: unknown): RequestId | undefined {
  const r = req as { id?: unknown; raw?: { id?: unknown } } | undefined;
  const id = r?.raw?.id ?? r?.id;
  return typeof id === 'number' || typeof id === 'string' ? id : undefined;
}

/** Probes and scrapes: never an access line. */
const QUIET_PATHS = /^\/(health|metrics)(?:[/?]|$)/;

/**
 * What one finished request is worth: an answer that went well is debug, a refusal (4xx) info, a 503
 * warn, another failure (5xx) error; a request the client gave up on is debug.
 */
export function accessLevel(statusCode: number, finished: boolean): Level {
  if (!finished) return 'debug';
  // 503 is the hub saying "not now" (a provider without its secret, Redis away): the reason has its own line.
  if (statusCode === 503) return 'warn';
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400) return 'info';
  return 'debug';
}

type HttpRequest = IncomingMessage & { id?: RequestId; originalUrl?: string };

/**
 * The request logging (in place of pino-http): gives each request an id, serves it inside that id's
 * async context, and writes one access line when it ends, if that line's level is on. Nothing is
 * serialised and no child logger is made per request.
 *
 * The async context (every line logged while serving a request carries its id) is there at info and
 * debug only. On Node 20 an AsyncLocalStorage in use puts a hook on every promise the process makes,
 * which cost the Express gateway about 15 % of its CPU per request at saturation (docs/performance.md).
 * At warn and error the lines about a request name it themselves (refusals, unhandled errors, store
 * outages), so a request costs an id and nothing else.
 */
export function requestLoggingMiddleware(logger: Logger): (req: HttpRequest, res: ServerResponse, next: () => void) => void {
  let lastId = 0;
  // At warn and error an access line would only repeat the exception filter's line about a 5xx or 503
  // (which names the request, its method and path): neither the listener nor the context is paid for.
  const withContext = logger.isLevelEnabled('info');
  return function hubRequestLogging(req, res, next) {
    const id = (req.id ??= lastId = (lastId + 1) & 0x7fffffff);
    if (withContext) {
      const startedAt = Date.now();
      res.once('close', () => {
        const level = accessLevel(res.statusCode, res.writableFinished);
        if (!logger.isLevelEnabled(level) || QUIET_PATHS.test(req.originalUrl ?? req.url ?? '')) return;
        logger[level]({ requestId: id, req, res, responseTime: Date.now() - startedAt }, res.writableFinished ? 'request completed' : 'request aborted');
      });
    }
    if (withContext) currentRequest.run(id, next);
    else next();
  };
}

/** The request in an access line: no query string (Tavus and others put tokens there), no body, headers redacted by pino. */
export function serializeRequest(req: HttpRequest): Record<string, unknown> {
  return { id: req.id, method: req.method, url: (req.originalUrl ?? req.url ?? '').split('?')[0], headers: req.headers };
}

export function serializeResponse(res: ServerResponse): Record<string, unknown> {
  return { statusCode: res.statusCode };
}
