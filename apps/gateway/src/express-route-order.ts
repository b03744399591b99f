import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WEBHOOK_SOURCE } from '@hub/webhook-core';

/** The part of an Express 5 router layer this looks at. */
export interface RouterLayer {
  route?: { path: string };
  /** Middleware for every path (app.use without one): body parsing and the like. */
  slash?: boolean;
}

/** The path Nest gives middleware applied with forRoutes('*') (the request logging) on Express 5. */
const ALL_ROUTES = '/{*path}';

/**
 * Express tries its route layers in order on every request, matching each path: the ingress routes,
 * which carry nearly all the traffic, came after the ~70 API, console and MCP routes (Nest registers
 * controllers module by module), and the router loop was 8-10 % of the Express gateway's CPU under
 * load (docs/performance.md). This moves the every-route middleware Nest applied (the request
 * logging) and the ingress layers to just after the app-wide middleware (body parsing), ahead of the
 * path-mounted queue dashboard, the API docs and static files, which an ingress request would only
 * be matched against and skip. Only the search gets shorter; the one other change is that those
 * mounted apps' requests are now logged too. Returns the number of ingress layers moved (0 when the
 * stack does not look as expected: then nothing is moved).
 */
export function hoistLayers(stack: RouterLayer[], isIngress: (path: string) => boolean): number {
  const ingress = stack.filter((layer) => layer.route && isIngress(layer.route.path));
  const firstIngress = stack.findIndex((layer) => ingress.includes(layer));
  let lastAllRoutes = -1;
  for (let i = 0; i < firstIngress; i++) if (stack[i].route?.path === ALL_ROUTES) lastAllRoutes = i;
  if (ingress.length === 0 || lastAllRoutes < 0) return 0;
  const logging = stack[lastAllRoutes];
  let appWide = 0;
  while (appWide < lastAllRoutes && stack[appWide].slash && !stack[appWide].route) appWide++;
  const moved = new Set([logging, ...ingress]);
  const rest = stack.filter((layer) => !moved.has(layer));
  stack.splice(0, stack.length, ...rest.slice(0, appWide), logging, ...ingress, ...rest.slice(appWide));
  return ingress.length;
}

/** The paths of every route that is a webhook ingress (has a WEBHOOK_SOURCE), as Express names them. */
function ingressPaths(app: NestExpressApplication): Set<string> {
  const paths = new Set<string>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const metatype = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
    if (!metatype?.prototype) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    for (const name of Object.getOwnPropertyNames(metatype.prototype)) {
      // The descriptor, not the property: reading a getter would run it on the prototype.
      const handler: unknown = Object.getOwnPropertyDescriptor(metatype.prototype, name)?.value;
      if (typeof handler !== 'function' || !Reflect.getMetadata(WEBHOOK_SOURCE, handler)) continue;
      const own = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      paths.add(`/${[base, own].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`);
    }
  }
  return paths;
}

/** After Nest registered its routes (app.init), puts the ingress routes first among them. */
export function putIngressRoutesFirst(app: NestExpressApplication): number {
  const router = (app.getHttpAdapter().getInstance() as { router?: { stack?: RouterLayer[] } }).router;
  if (!router?.stack) return 0;
  const paths = ingressPaths(app);
  return hoistLayers(router.stack, (path) => paths.has(path));
}
