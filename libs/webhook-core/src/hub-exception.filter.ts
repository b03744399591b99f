import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { type RequestId, requestIdOf } from '@hub/observability';
import { isRedisUnavailableError } from '@hub/store';
import { ErrorShapes } from './error-shapes';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: unknown[];
  /** What a conflict is about (the recorded decision of an approval decided before). */
  details?: Record<string, unknown>;
  errorId?: string;
}

/**
 * The one error shape: `{statusCode, error, message}` (plus `errors` for field lists). Never a
 * stack. A store outage is 503 with Retry-After; 500 is kept for real server faults, with an
 * errorId that matches the log line.
 */
@Catch()
@Injectable()
export class HubExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HubExceptionFilter');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly shapes: ErrorShapes = new ErrorShapes(),
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const { httpAdapter } = this.adapterHost;
    const res = host.switchToHttp().getResponse();
    const req = host.switchToHttp().getRequest();
    const { body, headers } = this.toResponse(exception, { requestId: requestIdOf(req), method: req?.method, path: String(httpAdapter.getRequestUrl(req) ?? '').split('?')[0] });
    for (const [name, value] of Object.entries(headers)) httpAdapter.setHeader(res, name, value);
    if (isHeadersSent(res)) return;
    const shape = this.shapes.shapeFor(String(httpAdapter.getRequestUrl(req) ?? ''));
    httpAdapter.reply(res, shape ? shape(body, exception) : body, body.statusCode);
  }

  /**
   * The answer to an exception, and a line for the ones that are the hub's fault, naming the request:
   * at LOG_LEVEL=warn there is no request context and no access line (the path never has its query,
   * where some platforms put tokens).
   */
  toResponse(exception: unknown, request: { requestId?: RequestId; method?: string; path?: string } = {}): { body: ErrorBody; headers: Record<string, string> } {
    const context = Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined && value !== ''));
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
      return {
        body: this.fromHttpException(exception, status),
        headers: retryAfter ? { 'Retry-After': String(retryAfter) } : {},
      };
    }
    if (isRedisUnavailableError(exception)) {
      this.logger.warn(context, `store unavailable: ${(exception as Error).message}`);
      return {
        body: this.body(HttpStatus.SERVICE_UNAVAILABLE, 'event store unavailable; retry later'),
        headers: { 'Retry-After': '5' },
      };
    }
    const errorId = randomUUID();
    // Only name, message and stack: an ioredis error also carries `command.args` (event bodies,
    // secrets), which must never reach a log.
    const err = exception instanceof Error ? { type: exception.name, message: exception.message, stack: exception.stack } : { message: String(exception) };
    this.logger.error({ errorId, err, ...context }, `unhandled error ${errorId}: ${err.message}`);
    return { body: { ...this.body(500, 'internal server error'), errorId }, headers: {} };
  }

  private fromHttpException(exception: HttpException, status: number): ErrorBody {
    const { message, errors, details } = describeHttpException(exception);
    return { ...this.body(status, message), ...(errors ? { errors } : {}), ...(details ? { details } : {}) };
  }

  private body(statusCode: number, message: string): ErrorBody {
    return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  }
}

/** The message (and field errors) of an HttpException, as REST errors and MCP tool errors both show them. */
export function describeHttpException(exception: HttpException): { message: string; errors?: unknown[]; details?: Record<string, unknown> } {
  const response = exception.getResponse();
  if (typeof response === 'string') return { message: response };
  const r = response as { message?: unknown; errors?: unknown[]; details?: unknown };
  const message = Array.isArray(r.message) ? r.message.join('; ') : String(r.message ?? exception.message);
  const details = typeof r.details === 'object' && r.details !== null ? (r.details as Record<string, unknown>) : undefined;
  return { message, ...(Array.isArray(r.errors) ? { errors: r.errors } : {}), ...(details ? { details } : {}) };
}

function isHeadersSent(res: unknown): boolean {
  const r = res as { headersSent?: boolean; sent?: boolean };
  return r.headersSent === true || r.sent === true;
}
