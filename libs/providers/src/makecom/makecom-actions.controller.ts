import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard, parseBody } from '@hub/webhook-core';
import { KnowledgeGraph } from './knowledge-graph';
import { MakeComActionsService } from './makecom-actions.service';
import {
  extractKnowledgeGraphInput,
  processWebhookDataInput,
  sendWebhookResponseInput,
  validateSignatureInput,
} from './makecom-actions.schemas';

/**
 * The Make.com document's actions over REST (bearer HUB_ADMIN_TOKEN); the bodies are the MCP
 * tools' arguments, with the seed's parameter names.
 */
@ApiTags('actions')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(AdminTokenGuard)
export class MakeComActionsController {
  constructor(private readonly actions: MakeComActionsService) {}

  /** `{webhook_data, client_id?, action_id?}`: the payload summarised (client, task, assignees, custom fields). */
  @Post('actions/process_webhook_data')
  @HttpCode(200)
  process(@Body() body: unknown) {
    return this.actions.processWebhookData(parseBody(processWebhookDataInput, body));
  }

  /** `{webhook_data, client_id?, include_task_details?}`: extracts and stores a knowledge graph. */
  @Post('actions/extract_client_knowledge_graph')
  @HttpCode(200)
  extract(@Body() body: unknown): Promise<KnowledgeGraph> {
    return this.actions.extractKnowledgeGraph(parseBody(extractKnowledgeGraphInput, body));
  }

  /** `{response_url, response_data, response_type?, client_id}`: 202 with a pending approval; nothing is sent before approval. */
  @Post('actions/send_webhook_response')
  @HttpCode(202)
  send(@Body() body: unknown) {
    return this.actions.sendWebhookResponse(parseBody(sendWebhookResponseInput, body), { channel: 'rest', id: 'admin-token' });
  }

  /** `{webhook_data, signature, secret_key?, client_id?}`: answers only `{valid}`. */
  @Post('actions/validate_webhook_signature')
  @HttpCode(200)
  validate(@Body() body: unknown): { valid: boolean } {
    return this.actions.validateWebhookSignature(parseBody(validateSignatureInput, body));
  }

  /** A stored knowledge graph by its extraction id (`kg_...`). */
  @Get('knowledge-graphs/:extractionId')
  graph(@Param('extractionId') extractionId: string): Promise<KnowledgeGraph> {
    if (!/^kg_[0-9A-HJKMNP-TV-Z]{26}$/.test(extractionId)) throw new NotFoundException(`knowledge graph ${extractionId.slice(0, 40)} not found: extraction ids look like kg_01J...`);
    return this.actions.getKnowledgeGraph({ extraction_id: extractionId });
  }

  /** The latest knowledge graph extracted for a client. */
  @Get('clients/:clientId/knowledge-graph')
  latest(@Param('clientId') clientId: string): Promise<KnowledgeGraph> {
    return this.actions.getKnowledgeGraph({ client_id: clientId.slice(0, 256) });
  }
}
