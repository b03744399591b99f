import { ConfigModule } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadHubConfig } from '@hub/config';
import { createHubApp } from './hub-app.factory';

const SHUTDOWN_GRACE_MS = 20_000;

/** Starts one hub process: loads .env, validates the environment, then serves. */
async function bootstrap(): Promise<void> {
  await ConfigModule.forRoot({ envFilePath: ['.env'], expandVariables: true });
  let config;
  try {
    config = loadHubConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createHubApp(config);
  const logger = app.get(Logger);
  if (config.adminTokenGenerated) {
    // Logged once, on purpose: the operator needs it and did not set one.
    logger.warn(`HUB_ADMIN_TOKEN is not set; every process of prefix ${config.prefix} shares this generated one (kept in Redis): ${config.adminToken}`);
  }
  // A graceful shutdown that cannot finish (a BullMQ worker's close() can wait forever for a socket
  // that is gone, taskforcesh/bullmq#4656) must not keep the process alive: exit after a grace period.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        logger.warn(`shutdown did not finish within ${SHUTDOWN_GRACE_MS / 1000} s after ${signal}; exiting`);
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
    });
  }
  await app.listen(config.port, config.host);
  logger.log(`webhook hub (${config.role}) listening on http://${config.host}:${config.port}, Redis ${redact(config.redisUrl)}, prefix ${config.prefix}`);
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`webhook hub failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
