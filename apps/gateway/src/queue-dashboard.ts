import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { FastifyAdapter } from '@bull-board/fastify';
import { DiscoveryService } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubConfig } from '@hub/config';
import { adminCredentialsMatch } from '@hub/webhook-core';

export const DASHBOARD_PATH = '/admin/queues';

const REFUSAL = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'the queue dashboard needs the admin token: Basic auth with HUB_ADMIN_TOKEN as password, or Authorization: Bearer',
};
const CHALLENGE = 'Basic realm="webhook-hub queues", charset="UTF-8"';

/**
 * Bull Board over every BullMQ queue the process registered (each delivery queue shard, and those
 * modules add such as telegram) at /admin/queues. A browser cannot send a bearer header, so
 * HTTP Basic with the admin token as password works too (any user name); both compared in
 * constant time. Mounted only where the gateway runs (it owns the queue producer).
 */
export async function mountQueueDashboard(app: NestExpressApplication | NestFastifyApplication, config: HubConfig): Promise<void> {
  const queues = [
    ...new Set(
      app
        .get(DiscoveryService, { strict: false })
        .getProviders()
        .flatMap((wrapper) => queuesOf(wrapper.instance)),
    ),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const board = (serverAdapter: ExpressAdapter | FastifyAdapter) =>
    createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'Webhook hub' } } });

  if (app.getHttpAdapter().getType() === 'fastify') {
    const serverAdapter = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
    board(serverAdapter);
    // An encapsulated plugin: the auth hook covers the dashboard's routes and nothing else.
    await (app as NestFastifyApplication).register(async (scope: FastifyInstance) => {
      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (!adminCredentialsMatch(req.headers.authorization, config.adminToken)) await reply.code(401).header('WWW-Authenticate', CHALLENGE).send(REFUSAL);
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
    });
    return;
  }
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  board(serverAdapter);
  const adminOnly = (req: Request, res: Response, next: NextFunction) => {
    if (adminCredentialsMatch(req.headers.authorization, config.adminToken)) return next();
    res.status(401).set('WWW-Authenticate', CHALLENGE).json(REFUSAL);
  };
  (app as NestExpressApplication).use(DASHBOARD_PATH, adminOnly, serverAdapter.getRouter());
}

/** A provider's queues: itself, or those it holds in `queues` (a set of shards, like DeliveryQueues). */
function queuesOf(instance: unknown): Queue[] {
  if (instance instanceof Queue) return [instance];
  const held = (instance as { queues?: unknown } | null)?.queues;
  return Array.isArray(held) ? held.filter((queue): queue is Queue => queue instanceof Queue) : [];
}
