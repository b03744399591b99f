import { BullModule } from '@nestjs/bullmq';
import { BadRequestException, DynamicModule, Module, ValidationError, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { ApprovalsModule } from '@hub/approvals';
import { HubConfig, HubConfigModule } from '@hub/config';
import { DeliveryBacklogHealthIndicator, DeliveryModule, DeliveryQueueHealthIndicator } from '@hub/delivery';
import { HealthModule, LoggingModule, MetricsModule } from '@hub/observability';
import { ProvidersModule } from '@hub/providers';
import { QueueConnection, RedisKeys, StoreModule } from '@hub/store';
import { WebhookCoreModule } from '@hub/webhook-core';
import { WorkerModule } from '../../worker/src/worker.module';
import { GatewayModule } from './gateway.module';
import { WorkerProcessHealthIndicator } from './worker-process.health-indicator';
import { WorkerProcessModule } from './worker-process.module';

/** Query and body DTOs: unknown fields rejected, every error listed in one 400. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const list = flatten(errors);
      return new BadRequestException({ message: list.map((e) => e.message).join('; '), errors: list });
    },
  });
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** BullMQ's root connection and queue prefix, shared by the hub process and the stdio MCP server. */
export function bullRootModule(): DynamicModule {
  return BullModule.forRootAsync({
    inject: [RedisKeys, QueueConnection],
    useFactory: (keys: RedisKeys, connection: QueueConnection) => ({
      connection: connection.options(),
      prefix: keys.queuePrefix(),
    }),
  });
}

/**
 * One process of the hub. HUB_ROLE picks the halves: `gateway` (HTTP ingress and APIs), `worker`
 * (stream consumer) or `all`. Health is served in every role. A role-`all` process whose worker half
 * runs in a child process (config.workerForked, HUB_WORKER_PROCESS=fork) builds the gateway half and
 * the WorkerProcess that supervises the child.
 */
@Module({})
export class HubModule {
  static register(config: HubConfig): DynamicModule {
    const forked = config.workerForked;
    return {
      module: HubModule,
      imports: [
        HubConfigModule.forRoot(config),
        LoggingModule,
        StoreModule,
        bullRootModule(),
        WebhookCoreModule,
        HealthModule.forRoot({
          imports: [DeliveryModule, ...(forked ? [WorkerProcessModule] : [])],
          indicators: [DeliveryQueueHealthIndicator, ...(forked ? [WorkerProcessHealthIndicator] : [])],
          readiness: [DeliveryBacklogHealthIndicator],
        }),
        MetricsModule,
        // Providers in every role: their routes where the gateway runs, their stream handlers where the worker runs.
        ApprovalsModule.register(config),
        ProvidersModule.register(config),
        ...(config.runsGateway ? [GatewayModule] : []),
        ...(config.runsWorker ? [WorkerModule] : []),
        ...(forked ? [WorkerProcessModule] : []),
      ],
      providers: [{ provide: APP_PIPE, useFactory: createValidationPipe }],
    };
  }
}
