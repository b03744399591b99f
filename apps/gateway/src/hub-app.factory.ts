import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { HubConfig } from '@hub/config';
import { RequestLogging } from '@hub/observability';
import { registerExpressBodyParsers, registerFastifyBodyParsers } from './body-parsers';
import { ingressDispatcher, putIngressRoutesFirst } from './express-route-order';
import { HubModule } from './hub.module';
import { serveIngressRoutesLean } from './ingress-routes';
import { mountOpenApi } from './openapi';
import { mountQueueDashboard } from './queue-dashboard';

export type HubApp = NestExpressApplication | NestFastifyApplication;

/**
 * Builds the hub application for a validated config. The one place that knows the HTTP adapter
 * (HTTP_ADAPTER): raw-body capture and the MAX_BODY_BYTES limit are set up here; controllers,
 * guards and filters only use what both adapters offer.
 */
export async function createHubApp(config: HubConfig): Promise<HubApp> {
  const app = config.httpAdapter === 'fastify' ? await createFastifyApp(config) : await createExpressApp(config);
  app.useLogger(app.get(Logger));
  if (config.runsGateway) {
    await mountQueueDashboard(app, config);
    mountOpenApi(app);
  }
  app.enableShutdownHooks();
  return app;
}

async function createExpressApp(config: HubConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(HubModule.register(config), { bodyParser: false, bufferLogs: true, abortOnError: false });
  app.use(app.get(RequestLogging).middleware);
  registerExpressBodyParsers(app, config.maxBodyBytes);
  // Repeated query keys become arrays, nothing more (no nested objects from `a[b]=c`), as on Fastify.
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  // Nest adds its routes in app.init, after this; the first request finds them there and reorders
  // them once (a later layer moving while this request is at the first one changes nothing for it).
  let ordered = false;
  app.use((_req: unknown, _res: unknown, next: () => void) => {
    if (!ordered) {
      ordered = true;
      if (putIngressRoutesFirst(app) === 0) new NestLogger('HubApp').warn('could not move the ingress routes first in Express (its router looked unfamiliar); they stay where Nest put them, which costs some throughput');
    }
    next();
  });
  // Ingress requests are answered here, ahead of Express's router (after the layer above, which must
  // see the first request); the routes Nest registers stay behind it.
  app.use(ingressDispatcher(serveIngressRoutesLean(app)));
  return app;
}

async function createFastifyApp(config: HubConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.maxBodyBytes, trustProxy: false });
  const app = await NestFactory.create<NestFastifyApplication>(HubModule.register(config), adapter, { bodyParser: false, bufferLogs: true, abortOnError: false });
  const fastify = app.getHttpAdapter().getInstance();
  const logging = app.get(RequestLogging).middleware;
  fastify.addHook('onRequest', (request, reply, done) => logging(request.raw as Parameters<typeof logging>[0], reply.raw, done));
  registerFastifyBodyParsers(fastify, config.maxBodyBytes);
  serveIngressRoutesLean(app);
  return app;
}
