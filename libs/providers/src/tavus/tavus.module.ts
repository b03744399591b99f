import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { TavusAdapter } from './tavus.adapter';
import { TavusApiController } from './tavus-api.controller';
import { TavusController } from './tavus.controller';
import { TavusConversationsHandler } from './tavus-conversations.handler';
import { TavusConversationsRepository } from './tavus-conversations.repository';
import { TavusConversationsService } from './tavus-conversations.service';
import { TavusToolCallHandler } from './tavus-tool-calls.handler';
import { TavusTools } from './tavus.tools';
import { TavusVideosRepository } from './tavus-videos';

/**
 * Tavus: `POST /api/tavus/webhook` and its stats view (source `tavus`); the agent's tool calls
 * answered from the video catalogue (`/api/v1/tavus/videos`), and conversation read models
 * (`/api/v1/tavus/conversations/:id`, MCP `get_conversation`).
 */
@Module({})
export class TavusModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(TavusModule, roles, {
      controllers: [TavusController, TavusApiController],
      providers: [TavusAdapter, TavusVideosRepository, TavusConversationsRepository, TavusConversationsService, TavusTools],
      // Tool calls first: their results are stored before the conversations read the batch.
      workerProviders: [TavusToolCallHandler, TavusConversationsHandler],
      exports: [TavusAdapter],
    });
  }
}
