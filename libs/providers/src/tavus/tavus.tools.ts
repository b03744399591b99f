import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { McpTools, McpToolset, run } from '@hub/mcp';
import { TavusConversationsService } from './tavus-conversations.service';

/** Tavus conversations for assistants, the same read model as `GET /api/v1/tavus/conversations/:id`. */
@Injectable()
@McpTools()
export class TavusTools implements McpToolset {
  constructor(private readonly conversations: TavusConversationsService) {}

  register(server: McpServer): void {
    server.registerTool(
      'get_conversation',
      {
        description: 'Get a Tavus conversation as its events describe it: status, persona, participants, messages by role, tool calls with their results (fetch_video, display_cta), duration and end reason.',
        inputSchema: { conversation_id: z.string().min(1).max(200).describe('The Tavus conversation_id, e.g. "conv_123456789"') },
      },
      ({ conversation_id }) => run(() => this.conversations.get(conversation_id)),
    );
  }
}
