import { CanActivate, ExceptionFilter, ForbiddenException, HttpServer, HttpStatus, Logger, RequestMethod, Type } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';

/** An ingress route as its controller declares it. */
export interface IngressRouteTarget {
  controller: Type<unknown>;
  instance: object;
  methodName: string;
}

export interface LeanIngressDeps {
  httpAdapter: HttpServer;
  /** The app's exception filter: errors get the same answer as on every other route. */
  filter: ExceptionFilter;
  /** The guard instances by class (the ones the app registered as providers). */
  guard: (type: Type<CanActivate>) => CanActivate | undefined;
}

type RouteHandler = (req: unknown, res: unknown, next?: unknown) => Promise<void>;
type ArgumentReader = (req: { params?: Record<string, unknown> }, res: unknown) => unknown;

const logger = new Logger('LeanIngress');

const DECLARED: Record<string, string> = {
  [INTERCEPTORS_METADATA]: 'interceptors',
  [PIPES_METADATA]: 'pipes',
  [EXCEPTION_FILTERS_METADATA]: 'exception filters',
  [REDIRECT_METADATA]: 'a redirect',
  [RENDER_METADATA]: 'a template',
  [SSE_METADATA]: 'server-sent events',
};

/**
 * The request handler of an ingress route without Nest's generic route pipeline. That pipeline
 * (guards consumer, pipes, interceptor chain, response controller, exceptions handler) cost the
 * Fastify gateway about 6 % of its CPU per request at saturation, the Express one too little to
 * measure (paired runs, docs/performance.md); an ingress route
 * needs little of it: its guards are synchronous, its arguments are the request, the passthrough
 * response and path parameters, its answer is a JSON body. This handler does those steps in
 * Nest's order (guards, the route's status code and headers, the method, the reply) and sends errors to the
 * app's exception filter, so the answers are the same.
 *
 * Returns why not (the route stays on Nest's pipeline) for a route that declares anything else:
 * interceptors, pipes, exception filters, redirects, templates, SSE, or an argument
 * other than @Req(), @Res({ passthrough: true }) and a string @Param(name). A string parameter is
 * passed as it is, which is what the app's ValidationPipe does with one.
 */
export function createLeanIngressHandler(target: IngressRouteTarget, deps: LeanIngressDeps): { handler: RouteHandler } | { reason: string } {
  const { controller, instance, methodName } = target;
  const callback = (instance as Record<string, unknown>)[methodName];
  if (typeof callback !== 'function') return { reason: `${methodName} is not a method` };
  for (const key of [INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA]) {
    if (hasItems(Reflect.getMetadata(key, controller)) || hasItems(Reflect.getMetadata(key, callback))) return { reason: `it declares ${DECLARED[key]}` };
  }
  for (const key of [REDIRECT_METADATA, RENDER_METADATA, SSE_METADATA]) {
    if (Reflect.getMetadata(key, callback) !== undefined) return { reason: `it declares ${DECLARED[key]}` };
  }
  const guards: CanActivate[] = [];
  for (const type of [...(Reflect.getMetadata(GUARDS_METADATA, controller) ?? []), ...(Reflect.getMetadata(GUARDS_METADATA, callback) ?? [])] as unknown[]) {
    const guard = typeof type === 'function' ? deps.guard(type as Type<CanActivate>) : undefined;
    if (!guard) return { reason: `its guard ${(type as { name?: string }).name ?? String(type)} is not a provider` };
    guards.push(guard);
  }
  const readers = argumentReaders(controller, methodName, callback);
  if (typeof readers === 'string') return { reason: readers };
  const status: number =
    Reflect.getMetadata(HTTP_CODE_METADATA, callback) ??
    (Reflect.getMetadata(METHOD_METADATA, callback) === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK);
  const headers = (Reflect.getMetadata(HEADERS_METADATA, callback) ?? []) as { name: string; value: string | (() => string) }[];
  const { httpAdapter, filter } = deps;

  return { handler: async function leanIngressHandler(req, res, next) {
    const context = new ExecutionContextHost([req, res, next], controller, callback as (...args: unknown[]) => unknown);
    try {
      for (const guard of guards) {
        const allowed = guard.canActivate(context);
        if (!(isThenable(allowed) ? await allowed : allowed)) throw new ForbiddenException('Forbidden resource');
      }
      httpAdapter.status(res, status);
      for (const { name, value } of headers) httpAdapter.setHeader(res, name, typeof value === 'function' ? value() : value);
      const args = readers.map((read) => read(req as { params?: Record<string, unknown> }, res));
      const result: unknown = await (callback as (...a: unknown[]) => unknown).apply(instance, args);
      if (!httpAdapter.isHeadersSent(res)) httpAdapter.reply(res, result);
    } catch (error) {
      try {
        filter.catch(error, context);
      } catch (failure) {
        // Only if answering itself fails (a closed socket): nothing left to tell the sender.
        logger.error(`could not answer an ingress request: ${(failure as Error).message}`);
      }
    }
  } };
}

/** How to read each argument of the method, or why one cannot be read here. */
function argumentReaders(controller: Type<unknown>, methodName: string, callback: object): ArgumentReader[] | string {
  const metadata = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<string, { index: number; data?: unknown; pipes?: unknown[] }>;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype as object, methodName) ?? []) as unknown[];
  const passthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, methodName) === true;
  const readers: ArgumentReader[] = [];
  for (const [key, { index, data, pipes }] of Object.entries(metadata)) {
    if (hasItems(pipes)) return `argument ${index} has pipes`;
    const [kind] = key.split(':');
    if (kind === String(RouteParamtypes.REQUEST)) readers[index] = (req) => req;
    else if (kind === String(RouteParamtypes.RESPONSE) && passthrough) readers[index] = (_req, res) => res;
    else if (kind === String(RouteParamtypes.PARAM) && typeof data === 'string' && types[index] === String) readers[index] = (req) => req.params?.[data];
    else return `argument ${index} is not @Req(), @Res({ passthrough: true }) or a string @Param(name)`;
  }
  const length = (callback as { length: number }).length;
  for (let i = 0; i < length; i++) if (!readers[i]) return `argument ${i} has no decorator`;
  return readers;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
