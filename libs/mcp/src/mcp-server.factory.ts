import { Injectable } from '@nestjs/common';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { HubStatsService, SubscriptionsService, toPublicSubscription } from '@hub/delivery';
import { EventsRepository } from '@hub/store';
import { ProviderRegistry } from '@hub/webhook-core';
import { version } from '../../../package.json';
import { McpSession } from './mcp-session';
import { McpToolsets } from './mcp-toolset';
import { HubTools } from './tools/hub.tools';

const INSTRUCTIONS = `The webhook hub receives webhooks from the platforms list_sources names, stores them as events (type
"<source>.<event>", e.g. "hub.approval.requested") and delivers them to registered HTTP endpoints.
Read events with list_events (pass "since" to get only new ones) or wait_for_event; notifications about new events
are sent too (choose which with subscribe_events), but they are hints only. Manage endpoints with register_webhook,
list_webhooks, test_webhook and friends; inspect deliveries with list_deliveries and get_delivery. Actions that
need a human (send_webhook_response) wait as approvals: list_approvals, decide_approval.`;

/** Builds the McpServer of one session: capabilities, tools, resources and resource subscriptions. */
@Injectable()
export class McpServerFactory {
  constructor(
    private readonly hubTools: HubTools,
    private readonly toolsets: McpToolsets,
    private readonly events: EventsRepository,
    private readonly registry: ProviderRegistry,
    private readonly subscriptions: SubscriptionsService,
    private readonly stats: HubStatsService,
  ) {}

  create(bind: (server: McpServer) => McpSession): McpSession {
    const server = new McpServer(
      { name: 'webhook-hub', version },
      {
        // logging: sendLoggingMessage is a no-op without it; resources.subscribe is not declared by McpServer itself.
        capabilities: { logging: {}, resources: { subscribe: true, listChanged: true }, tools: { listChanged: true } },
        instructions: INSTRUCTIONS,
      },
    );
    const session = bind(server);
    this.hubTools.register(server, session);
    for (const toolset of this.toolsets.all()) toolset.register(server, session);
    this.registerResources(server, session);
    return session;
  }

  private registerResources(server: McpServer, session: McpSession): void {
    server.registerResource(
      'events',
      new ResourceTemplate('hub://events/{source}', {
        list: async () => ({
          // Every source a loaded module emits (the registry knows them), so libs/mcp names none.
          resources: [...new Set(this.registry.eventTypes().map((t) => t.source))].sort().map((source) => ({ uri: `hub://events/${source}`, name: `${source} events`, mimeType: 'application/json' })),
        }),
      }),
      { title: 'Latest events of a source', description: 'The 50 newest events of one source; subscribe to be told when it changes.', mimeType: 'application/json' },
      async (uri, { source }) => {
        const page = await this.events.list({ source: String(source), limit: 50 });
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(page.data) }] };
      },
    );
    server.registerResource(
      'webhooks',
      'hub://webhooks',
      { title: 'Registered webhooks', description: 'Every webhook endpoint (no secrets).', mimeType: 'application/json' },
      async (uri) => ({
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify((await this.subscriptions.list()).map(toPublicSubscription)) }],
      }),
    );
    server.registerResource(
      'stats',
      'hub://stats',
      { title: 'Hub statistics', description: 'Ingress per source (24 h), stored events, webhooks, delivery queue.', mimeType: 'application/json' },
      async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await this.stats.snapshot()) }] }),
    );
    server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      session.resourceSubscriptions.add(request.params.uri);
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
      session.resourceSubscriptions.delete(request.params.uri);
      return {};
    });
  }
}
