import { Logger, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { HubExceptionFilter, IngressRouteTarget, WEBHOOK_SOURCE, createLeanIngressHandler } from '@hub/webhook-core';

/** A webhook route (a handler with a WEBHOOK_SOURCE: ingress or handshake), with its method and full path as Express and Fastify name it. */
export interface IngressRoute extends IngressRouteTarget {
  path: string;
  method: RequestMethod;
}

/** Every ingress route of the app's controllers. */
export function ingressRoutes(app: INestApplication): IngressRoute[] {
  const routes: IngressRoute[] = [];
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const controller = wrapper.metatype as Type<unknown> | undefined;
    const instance = wrapper.instance as object | undefined;
    if (!controller?.prototype || !instance) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const methodName of Object.getOwnPropertyNames(controller.prototype)) {
      // The descriptor, not the property: reading a getter would run it on the prototype.
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, methodName)?.value;
      if (typeof handler !== 'function' || !Reflect.getMetadata(WEBHOOK_SOURCE, handler)) continue;
      const own = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[base, own].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
      routes.push({ path, method: Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod, controller, instance, methodName });
    }
  }
  return routes;
}

/** An ingress route served by the lean handler (filled in as app.init registers the routes). */
export interface LeanIngressRoute {
  path: string;
  handler: (req: unknown, res: unknown, next?: unknown) => Promise<void>;
}

type RouteRegistrar = (path: string, handler: (...args: unknown[]) => unknown) => unknown;

/**
 * Before app.init registers the routes: the ingress routes are registered with the lean handler
 * (createLeanIngressHandler) in place of Nest's generic one, on either HTTP adapter, at the point
 * where Nest hands each route to the adapter. Nest's handler carries its method's metadata (Nest
 * copies it over), which is how an ingress route is told apart. A route the lean handler does not
 * cover keeps Nest's, with a warning. Returns the routes served lean (filled in during init).
 */
export function serveIngressRoutesLean(app: INestApplication): LeanIngressRoute[] {
  const served: LeanIngressRoute[] = [];
  const httpAdapter = app.getHttpAdapter();
  const adapter = httpAdapter as unknown as { post: RouteRegistrar };
  const register = adapter.post.bind(httpAdapter) as RouteRegistrar;
  let routes: Map<string, IngressRoute> | undefined;
  adapter.post = (path, handler) => {
    if (typeof handler !== 'function' || !Reflect.getMetadata(WEBHOOK_SOURCE, handler)) return register(path, handler);
    // A provider's GET handshake may share the path: only POST handlers are looked up here.
    routes ??= new Map(ingressRoutes(app).filter((route) => route.method === RequestMethod.POST).map((route) => [route.path, route]));
    const route = routes.get(path.replace(/\/+$/, '') || '/');
    const lean = route
      ? createLeanIngressHandler(route, { httpAdapter, filter: app.get(HubExceptionFilter), guard: (type) => app.get(type, { strict: false }) })
      : { reason: 'no controller method has that path' };
    if ('reason' in lean) {
      new Logger('HubApp').warn(`ingress route POST ${path} stays on Nest's route pipeline, which costs some throughput: ${lean.reason}`);
      return register(path, handler);
    }
    served.push({ path, handler: lean.handler });
    return register(path, lean.handler);
  };
  return served;
}
