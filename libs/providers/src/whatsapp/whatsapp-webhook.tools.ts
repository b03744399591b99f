import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Subscription, SubscriptionsService, TestDeliveryService, hasGivenSecret } from '@hub/delivery';
import { McpTools, McpToolset, ToolInputError, run } from '@hub/mcp';

/** The events the WhatsApp document lists; a name outside it would make a subscription that never matches. */
export const SEED_EVENTS = ['message.received', 'message.sent', 'message.update', 'connection.update', 'group.update', 'presence.update', '*'] as const;
/** The seed's real retry schedule (the bridge retries after 1 s and 3 s; its docs add 10 s). */
const SEED_RETRY_SCHEDULE = [1, 3, 10];

/**
 * The WhatsApp MCP's webhook tools, over hub subscriptions scoped to source `whatsapp`: event names
 * as the seed writes them (`message.received`, `*`) map to `whatsapp.message.received`, `whatsapp.*`.
 */
@Injectable()
@McpTools()
export class WhatsAppWebhookTools implements McpToolset {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly tester: TestDeliveryService,
  ) {}

  register(server: McpServer): void {
    server.registerTool(
      'whatsapp_webhook_register',
      {
        description:
          'Register (or update) a URL to receive WhatsApp events as the WhatsApp document sends them: {event, timestamp (unix ms), data}. events use the WhatsApp names without prefix: message.received, message.sent, message.update, connection.update, group.update, presence.update, or "*". With a secret, deliveries carry X-Webhook-Signature: sha256=<hex HMAC of the body>; Standard Webhooks headers are always sent.',
        inputSchema: {
          url: z.string(),
          events: z
            .array(z.enum(SEED_EVENTS, { error: `one of the document's events: ${SEED_EVENTS.join(', ')}` }))
            .min(1)
            .max(50),
          secret: z.string().min(8).max(256).optional(),
        },
      },
      ({ url, events, secret }) =>
        run(async () => {
          const { created, subscription } = await this.subscriptions.upsert({
            url,
            events: events.map((e) => (e === '*' ? 'whatsapp.*' : `whatsapp.${e}`)),
            ...(secret ? { secret } : {}),
            retrySchedule: SEED_RETRY_SCHEDULE,
            // The document's body {event, timestamp, data}, signed only when a secret was given.
            payloadFormat: 'seed',
            description: 'registered with whatsapp_webhook_register',
          });
          // A secret the hub generated (none was given) is shown this once: it signs the Standard Webhooks headers.
          const generated = created && !secret ? { secret: subscription.secret, secretNote: 'generated; shown only now (rotate_webhook_secret makes a new one)' } : {};
          return { success: true, created, webhook: { ...this.view(subscription), ...generated } };
        }),
    );

    server.registerTool(
      'whatsapp_webhook_unregister',
      { description: 'Stop sending WhatsApp events to a URL.', inputSchema: { url: z.string() } },
      ({ url }) =>
        run(async () => {
          const subscription = await this.whatsappSubscription(url);
          await this.subscriptions.remove(subscription.id);
          return { success: true, url };
        }),
    );

    server.registerTool(
      'whatsapp_webhook_list',
      { description: 'List the URLs receiving WhatsApp events (secrets masked).', inputSchema: {} },
      () =>
        run(async () => {
          const webhooks = (await this.subscriptions.list()).filter(isWhatsApp).map((s) => this.view(s));
          return { count: webhooks.length, webhooks };
        }),
    );

    server.registerTool(
      'whatsapp_webhook_test',
      { description: 'Send a signed test event (type webhook.test) to a registered WhatsApp webhook URL now.', inputSchema: { url: z.string() } },
      ({ url }) =>
        run(async () => {
          const subscription = await this.whatsappSubscription(url);
          const result = await this.tester.test(subscription.id);
          return { url, success: result.ok, statusCode: result.statusCode, latencyMs: result.latencyMs, ...(result.ok ? {} : { error: result.error ?? `HTTP ${result.statusCode}` }) };
        }),
    );
  }

  private async whatsappSubscription(url: string): Promise<Subscription> {
    const subscription = await this.subscriptions.getByUrl(url);
    if (!subscription || !isWhatsApp(subscription)) throw new ToolInputError(`Webhook not found: ${url}`);
    return subscription;
  }

  private view(s: Subscription) {
    return {
      url: s.url,
      events: s.events.filter((e) => e.startsWith('whatsapp.')).map((e) => (e === 'whatsapp.*' ? '*' : e.slice('whatsapp.'.length))),
      secret: hasGivenSecret(s) ? '***' : undefined,
      enabled: s.enabled,
      id: s.id,
    };
  }
}

function isWhatsApp(subscription: Subscription): boolean {
  return subscription.events.length > 0 && subscription.events.every((e) => e.startsWith('whatsapp.'));
}
