import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpSession, McpTools, McpToolset, run } from '@hub/mcp';
import { MakeComActionsService } from './makecom-actions.service';
import {
  extractKnowledgeGraphInput,
  getKnowledgeGraphInput,
  processWebhookDataInput,
  sendWebhookResponseInput,
  validateSignatureInput,
} from './makecom-actions.schemas';

/** The Make.com document's actions as MCP tools, calling the same service as `POST /api/v1/actions/<name>`. */
@Injectable()
@McpTools()
export class MakeComTools implements McpToolset {
  constructor(private readonly actions: MakeComActionsService) {}

  register(server: McpServer, session: McpSession): void {
    server.registerTool(
      'process_webhook_data',
      { description: 'Summarise a Make.com webhook payload: client, action, task (status, assignees, custom fields as name → value).', inputSchema: processWebhookDataInput },
      (args) => run(async () => this.actions.processWebhookData(args)),
    );
    server.registerTool(
      'extract_client_knowledge_graph',
      {
        description:
          'Extract a knowledge graph from a Make.com payload: nodes for the client, task, status, assignees and custom fields; relationships HAS_TASK, HAS_STATUS, ASSIGNED_TO, HAS_FIELD, REFERENCES_CLIENT. Stored; read it again with get_knowledge_graph.',
        inputSchema: extractKnowledgeGraphInput,
      },
      (args) => run(() => this.actions.extractKnowledgeGraph(args)),
    );
    server.registerTool(
      'get_knowledge_graph',
      { description: 'Get a stored knowledge graph by extraction_id, or the latest one of a client_id.', inputSchema: getKnowledgeGraphInput },
      (args) => run(() => this.actions.getKnowledgeGraph(args)),
    );
    server.registerTool(
      'send_webhook_response',
      {
        description:
          'Ask to POST a response to a URL. Nothing is sent now: a pending approval is created (answer {approval_id, status: "pending"}); once a human approves it (decide_approval, the REST API or Telegram) the response goes out once, signed, with retries.',
        inputSchema: sendWebhookResponseInput,
      },
      (args) => run(() => this.actions.sendWebhookResponse(args, { channel: 'mcp', id: session.id })),
    );
    server.registerTool(
      'validate_webhook_signature',
      {
        description:
          'Check an X-Hub-Signature-256 style signature (sha256=<hex HMAC-SHA256>) of a payload. Answers only {valid}; never the expected signature. A string payload is checked byte for byte, an object over its compact JSON.',
        inputSchema: validateSignatureInput,
      },
      (args) => run(async () => this.actions.validateWebhookSignature(args)),
    );
  }
}
