import { ConfigModule } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadHubConfig } from '@hub/config';
import { HubMetrics } from '@hub/observability';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubApp } from './hub-app.factory';
import { limitHeapGrowth } from './heap-growth';
import { LocalRedis, LocalRedisError, ensureRedis } from './local-redis.launcher';
import { WorkerProcess } from './worker-process.module';
import { connectToSupervisor } from './worker-supervisor';

const SHUTDOWN_GRACE_MS = 20_000;

/**
 * Starts one hub process: loads .env, validates the environment, decides on Redis (REDIS_URL, or the
 * one on 127.0.0.1:LOCAL_REDIS_PORT, or a redis-server it starts itself), then serves. With HUB_ROLE=all
 * and HUB_WORKER_PROCESS=fork (the default) this process serves the gateway half and runs the worker half
 * as a child process of this same script (HUB_ROLE=worker), which it supervises (WorkerProcess).
 */
async function bootstrap(): Promise<void> {
  limitHeapGrowth();
  // A worker forked by a gateway: ends with its gateway, however that one ends.
  const supervisor = connectToSupervisor();
  await ConfigModule.forRoot({ envFilePath: ['.env'], expandVariables: true });
  let config;
  let localRedis: LocalRedis | undefined;
  try {
    // A bad variable stops the boot before anything is started.
    config = loadHubConfig(process.env);
    if (process.env.REDIS_URL === undefined) {
      // Sets process.env.REDIS_URL to the Redis found or started; the config is then loaded with it.
      localRedis = await ensureRedis(process.env);
      config = loadHubConfig(process.env);
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof LocalRedisError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The gateway half here, the worker half in a child process (started once this one listens). A forked
  // worker never forks again (its role is `worker`; the check keeps it so whatever its environment says).
  config.workerForked = config.forksWorker && !supervisor;
  const app = await createHubApp(config);
  const logger = app.get(Logger);
  if (localRedis) {
    logger.log(localRedis.describe());
    localRedis.onUnexpectedExit((reason) => logger.error(`the hub's local redis-server ended (${reason}); requests answer 503 until a Redis answers on ${localRedis?.url}`));
  }
  // Shutdown, before Nest's own hooks run: stop keeping connections alive, so busy keep-alive clients
  // (a load balancer, a platform sending steadily) move on after their current request and the server
  // can close; without this, a steady sender kept it open past the grace period. What was acknowledged
  // is in Redis already; in-flight requests finish.
  const server = app.getHttpServer() as Server;
  let draining = false;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
  });
  // A graceful shutdown that cannot finish (a BullMQ worker's close() can wait forever for a socket
  // that is gone, taskforcesh/bullmq#4656) must not keep the process alive: exit after a grace period.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.prependOnceListener(signal, () => {
      draining = true;
      server.closeIdleConnections();
      setTimeout(() => {
        logger.warn(`shutdown did not finish within ${SHUTDOWN_GRACE_MS / 1000} s after ${signal}; exiting`);
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
    });
  }
  await app.listen(config.port, config.host);
  const port = (server.address() as AddressInfo | null)?.port ?? config.port;
  logger.log(`webhook hub (${config.role}) listening on http://${config.host}:${port}, Redis ${redact(config.redisUrl)}, prefix ${config.prefix}`);
  if (config.runsGateway) logger.log(`console ${config.publicUrl}/admin (any user name, the admin token as password), API docs ${config.publicUrl}/docs`);
  if (config.adminTokenGenerated) {
    // Logged once, on purpose: the operator needs it and did not set one. After listen, so it is the
    // token the prefix shares (a later start adopts the first one stored in Redis), not this process's draft.
    logger.warn(`HUB_ADMIN_TOKEN is not set; every process of prefix ${config.prefix} shares this generated one (kept in Redis): ${config.adminToken}`);
  }
  // After the token is settled: the child is handed this one (and REDIS_URL as decided above).
  if (config.workerForked) app.get(WorkerProcess).start(__filename);
  supervisor?.ready(() => app.get(HubMetrics).registry.getMetricsAsJSON());
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`webhook hub failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
