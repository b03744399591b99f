import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { HubConfig } from '@hub/config';
import { DELIVERY_QUEUE } from '@hub/delivery';
import { tokenEquals } from '@hub/webhook-core';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board over the delivery queue at /admin/queues. A browser cannot send a bearer header, so
 * HTTP Basic with the admin token as password works too (any user name); both compared in
 * constant time. Mounted only where the gateway runs (it owns the queue producer).
 */
export function mountQueueDashboard(app: NestExpressApplication, config: HubConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const queue = app.get<Queue>(getQueueToken(DELIVERY_QUEUE), { strict: false });
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter, options: { uiConfig: { boardTitle: 'Webhook hub' } } });
  app.use(DASHBOARD_PATH, adminOnly(config.adminToken), serverAdapter.getRouter());
}

function adminOnly(adminToken: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
    const password = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
    const given = bearer ?? password;
    if (given && tokenEquals(given, adminToken)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="webhook-hub queues", charset="UTF-8"')
      .json({ statusCode: 401, error: 'Unauthorized', message: 'the queue dashboard needs the admin token: Basic auth with HUB_ADMIN_TOKEN as password, or Authorization: Bearer' });
  };
}
