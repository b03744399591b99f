import { DynamicModule, Module } from '@nestjs/common';
import { DeliveryModule } from '@hub/delivery';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { KnowledgeGraphsRepository } from './knowledge-graphs.repository';
import { MakeComActionsController } from './makecom-actions.controller';
import { MakeComActionsService } from './makecom-actions.service';
import { MakeComReplyHandler } from './makecom-reply.handler';
import { MakeComResponseRunner } from './makecom-response.runner';
import { MakeComScenariosService } from './makecom-scenarios.service';
import { MakeComAdapter } from './makecom.adapter';
import { MakeComController } from './makecom.controller';
import { MakeComTools } from './makecom.tools';

/**
 * Make.com: `POST /api/webhook/make.com/:scenario` (source `makecom`) answered inline with the
 * scenario's result, the document's four actions (REST and MCP), stored knowledge graphs, and the
 * approved send_webhook_response runner.
 */
@Module({})
export class MakeComModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(MakeComModule, roles, {
      imports: [DeliveryModule],
      controllers: [MakeComController, MakeComActionsController],
      providers: [MakeComAdapter, KnowledgeGraphsRepository, MakeComActionsService, MakeComScenariosService, MakeComTools, MakeComResponseRunner],
      workerProviders: [MakeComReplyHandler],
      exports: [MakeComAdapter, MakeComScenariosService],
    });
  }
}
