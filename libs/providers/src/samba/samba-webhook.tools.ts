import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { HubConfig } from '@hub/config';
import { DomainEvent } from '@hub/store';
import { McpNotification, McpSession, McpTools, McpToolset, ToolInputError, run } from '@hub/mcp';
import { DigitalSambaClient } from './digital-samba.client';

const WEBHOOK_NAME = 'MCP Server Webhook';

/**
 * The Digital Samba MCP's webhook tools, against the Digital Samba REST API with the session's key.
 * register-webhook upserts by URL (list, then PATCH or POST), as the seed does.
 */
@Injectable()
@McpTools()
export class SambaWebhookTools implements McpToolset {
  constructor(
    private readonly client: DigitalSambaClient,
    private readonly config: HubConfig,
  ) {}

  register(server: McpServer, session: McpSession): void {
    // The connection's own developer key (kept in the session's memory only), else DIGITAL_SAMBA_API_KEY.
    const key = () => session.connectionHeader('x-digitalsamba-api-key');

    server.registerTool(
      'register-webhook',
      {
        description: `Register a Digital Samba webhook (upsert by URL). webhookUrl defaults to this hub's receiver (${this.config.publicUrl}/webhooks/digitalsamba); events default to every event the account offers.`,
        inputSchema: {
          webhookUrl: z.string().url().max(100).optional().describe('Receiver URL, at most 100 characters'),
          events: z.array(z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/i)).min(1).max(100).optional(),
          authorizationHeader: z.string().min(8).max(256).optional().describe('Token Digital Samba sends as Authorization; default the hub\'s DIGITAL_SAMBA_WEBHOOK_TOKEN'),
        },
      },
      ({ webhookUrl, events, authorizationHeader }) =>
        run(async () => {
          const endpoint = webhookUrl ?? `${this.config.publicUrl}/webhooks/digitalsamba`;
          const wanted = events ?? (await this.client.listEvents(key()));
          const authorization = authorizationHeader ?? this.config.digitalsamba.tokens[0];
          const body = { endpoint, events: wanted, name: WEBHOOK_NAME, ...(authorization ? { authorization_header: authorization } : {}) };
          const existing = (await this.client.listWebhooks(key())).find((w) => w.endpoint === endpoint);
          const webhook = existing ? await this.client.updateWebhook(key(), existing.id, body) : await this.client.createWebhook(key(), body);
          return { action: existing ? 'updated' : 'created', webhook: redact(webhook) };
        }),
    );

    server.registerTool(
      'list-webhooks',
      { description: 'List the Digital Samba webhooks of the account.', inputSchema: {} },
      () => run(async () => ({ webhooks: (await this.client.listWebhooks(key())).map(redact) })),
    );

    server.registerTool(
      'delete-webhook',
      { description: 'Delete the Digital Samba webhook registered for a URL.', inputSchema: { webhookUrl: z.string() } },
      ({ webhookUrl }) =>
        run(async () => {
          const existing = (await this.client.listWebhooks(key())).find((w) => w.endpoint === webhookUrl);
          if (!existing) throw new ToolInputError(`no Digital Samba webhook is registered for ${webhookUrl}`);
          await this.client.deleteWebhook(key(), existing.id);
          return { deleted: true, id: existing.id, webhookUrl };
        }),
    );

    server.registerTool(
      'list-webhook-events',
      { description: 'List the event names a Digital Samba webhook can subscribe to, grouped by kind.', inputSchema: {} },
      () =>
        run(async () => {
          const events = await this.client.listEvents(key());
          const groups: Record<string, string[]> = {};
          for (const name of events) (groups[name.split(/[._]/)[0]] ??= []).push(name);
          return { count: events.length, events, groups };
        }),
    );
  }

  /**
   * The seed's own notification for Digital Samba events, `digitalsambaEvent` {event, timestamp, data},
   * with the platform's own `data` object, so code written from the document reads
   * `params.data.room_id`; for the real platform's envelope, `data` plus its `roomId` and `sessionId`.
   */
  notificationsFor(event: DomainEvent): McpNotification[] {
    if (event.source !== 'digitalsamba') return [];
    const stored = (event.data ?? {}) as { event?: string; data?: unknown; roomId?: unknown; sessionId?: unknown };
    const own = stored.data !== null && typeof stored.data === 'object' && !Array.isArray(stored.data) ? (stored.data as Record<string, unknown>) : {};
    // The real platform (eventType) names room and session in its envelope; the document, inside data.
    const platform = 'eventType' in stored || 'event_type' in stored;
    const fromEnvelope = platform
      ? { ...(stored.roomId !== undefined ? { roomId: stored.roomId } : {}), ...(stored.sessionId !== undefined ? { sessionId: stored.sessionId } : {}) }
      : {};
    return [
      {
        method: 'digitalsambaEvent',
        params: { event: stored.event ?? event.type.slice('digitalsamba.'.length), timestamp: event.occurredAt, data: { ...own, ...fromEnvelope } },
      },
    ];
  }
}

/** The authorization header is a shared secret: show only that one is set. */
function redact<T extends { authorization_header?: string | null }>(webhook: T): T {
  return { ...webhook, authorization_header: webhook.authorization_header ? '***' : webhook.authorization_header };
}
