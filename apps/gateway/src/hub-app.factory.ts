import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { HubConfig } from '@hub/config';
import { registerBodyParsers } from './body-parsers';
import { HubModule } from './hub.module';
import { mountOpenApi } from './openapi';
import { mountQueueDashboard } from './queue-dashboard';

/**
 * Builds the hub application for a validated config. The one place that knows the HTTP adapter:
 * raw-body capture for JSON and text bodies and the MAX_BODY_BYTES limit live here.
 */
export async function createHubApp(config: HubConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(HubModule.register(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  registerBodyParsers(app, config.maxBodyBytes);
  if (config.runsGateway) {
    mountQueueDashboard(app, config);
    mountOpenApi(app);
  }
  app.set('query parser', 'simple');
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  return app;
}
