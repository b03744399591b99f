import type { NestExpressApplication } from '@nestjs/platform-express';
import { MatchFunction, match } from 'path-to-regexp';
import { LeanIngressRoute, ingressRoutes } from './ingress-routes';

/** The part of an Express 5 router layer this looks at. */
export interface RouterLayer {
  route?: { path: string };
  /** Middleware for every path (app.use without one): body parsing and the like. */
  slash?: boolean;
}

/**
 * Express tries its route layers in order on every request, matching each path: the ingress routes,
 * which carry nearly all the traffic, came after the ~70 API, console and MCP routes (Nest registers
 * controllers module by module), and the router loop was 8-10 % of the Express gateway's CPU under
 * load (docs/performance.md). This moves the ingress layers to just after the app-wide middleware
 * (request logging, body parsing, the ingress dispatcher), ahead of the path-mounted queue
 * dashboard, the API docs and static files. The dispatcher answers lean-served ingress before any
 * route; this still shortens the search for the GET handshakes and any route left on Nest's pipeline. Returns the number of ingress layers moved (0 when
 * there are none or nothing app-wide precedes them: then nothing is moved).
 */
export function hoistLayers(stack: RouterLayer[], isIngress: (path: string) => boolean): number {
  const ingress = stack.filter((layer) => layer.route && isIngress(layer.route.path));
  const rest = stack.filter((layer) => !ingress.includes(layer));
  let appWide = 0;
  while (appWide < rest.length && rest[appWide].slash && !rest[appWide].route) appWide++;
  if (ingress.length === 0 || appWide === 0) return 0;
  stack.splice(0, stack.length, ...rest.slice(0, appWide), ...ingress, ...rest.slice(appWide));
  return ingress.length;
}

/** After Nest registered its routes (app.init), puts the ingress routes first among them. */
export function putIngressRoutesFirst(app: NestExpressApplication): number {
  const router = (app.getHttpAdapter().getInstance() as { router?: { stack?: RouterLayer[] } }).router;
  if (!router?.stack) return 0;
  const paths = new Set(ingressRoutes(app).map((route) => route.path));
  return hoistLayers(router.stack, (path) => paths.has(path));
}

type ExpressHandler = (req: { method: string; path: string; params?: Record<string, string> }, res: unknown, next: () => void) => unknown;

/**
 * Even first among the routes, an ingress request pays Express for its route layer (a path match,
 * then Route.dispatch walking the route's own stack); this app-wide middleware, after the request
 * logging and the body parsing and before every route, finds the lean-served ingress route itself
 * and calls its handler: a Map for fixed paths, and for paths with parameters path-to-regexp's
 * matcher with the options Express 5's router gives it (any case, one optional trailing slash,
 * parameters URI-decoded), so both match alike. A parameter that does not decode goes on to
 * Express, which answers 400 as before. Anything else goes on down the stack unchanged.
 */
export function ingressDispatcher(routes: LeanIngressRoute[]): ExpressHandler {
  let fixed: Map<string, LeanIngressRoute['handler']> | undefined;
  let patterns: { matches: MatchFunction<Partial<Record<string, string | string[]>>>; handler: LeanIngressRoute['handler'] }[] = [];
  return function hubIngressDispatch(req, res, next) {
    if (req.method !== 'POST') return next();
    if (!fixed) {
      // Filled in by app.init, which is over before the first request.
      fixed = new Map(routes.filter((r) => !r.path.includes(':')).map((r) => [r.path.toLowerCase(), r.handler]));
      patterns = routes
        .filter((r) => r.path.includes(':'))
        .map((r) => ({ matches: match(r.path, { sensitive: false, end: true, trailing: true, decode: decodeURIComponent }), handler: r.handler }));
    }
    const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    const handler = fixed.get(path.toLowerCase());
    if (handler) return handler(req, res, next);
    for (const { matches, handler: paramHandler } of patterns) {
      let found;
      try {
        found = matches(req.path);
      } catch {
        return next();
      }
      if (!found) continue;
      req.params = found.params as Record<string, string>;
      return paramHandler(req, res, next);
    }
    return next();
  };
}
