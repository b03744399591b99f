import { Injectable } from '@nestjs/common';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import {
  DeadLettersService,
  DeliveriesRepository,
  HubStatsService,
  ReplayService,
  SubscriptionsService,
  TestDeliveryService,
  createdView,
  rotatedView,
  toPublicSubscription,
} from '@hub/delivery';
import { APPROVAL_STATUSES, ApprovalsService } from '@hub/approvals';
import { DeadEventsRepository, EVENT_ID_PATTERN, EventsRepository, TYPE_GLOB_PATTERN, compileTypeGlob, parseInstant } from '@hub/store';
import { HubConfig } from '@hub/config';
import { ProviderRegistry } from '@hub/webhook-core';
import { LiveEventsListener } from '../live-events.listener';
import { McpSession } from '../mcp-session';
import { ToolInputError, run } from '../tool-result';

const typeGlob = z.string().regex(TYPE_GLOB_PATTERN, 'a type glob such as "hub.approval.*" or "*.session_ended"');
const source = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a source name as list_sources gives it, e.g. "hub"');
const subscriptionId = z.string().describe('Subscription (webhook) id, "sub_..."');
const filterCondition = z.object({
  path: z.string().describe('Dotted JSON path into the event data, e.g. "message.type"'),
  op: z.enum(['equals', 'notEquals', 'in', 'exists', 'notExists', 'contains']),
  value: z.unknown().optional(),
});
const webhookFields = {
  events: z.array(typeGlob).min(1).max(50).optional().describe('Type globs to deliver, e.g. ["hub.approval.*"]; default ["*"]'),
  filter: z.array(filterCondition).max(20).optional().describe('Conditions on event data, all must hold'),
  description: z.string().max(500).optional(),
  rateLimitPerSec: z.number().int().min(1).max(10_000).optional().describe('Max deliveries per second; extra ones wait'),
  retrySchedule: z.array(z.number().int().min(0).max(604_800)).max(20).optional().describe('Waits in seconds before each retry; default 5s,5m,30m,2h,5h,10h,10h'),
  headers: z.record(z.string(), z.string()).optional().describe('Extra headers sent with every delivery'),
  payloadFormat: z
    .enum(['hub', 'seed'])
    .optional()
    .describe('Body of each delivery: "hub" {id, type, source, timestamp, data} (default) or "seed" {event, timestamp: <unix ms>, data}, as the seed documents send it'),
};

/**
 * The hub's own tools. Each calls the same service as the REST route it mirrors; errors come back
 * as isError results with the REST API's message.
 */
@Injectable()
export class HubTools {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly events: EventsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly tester: TestDeliveryService,
    private readonly deliveries: DeliveriesRepository,
    private readonly replay: ReplayService,
    private readonly deadLetters: DeadLettersService,
    private readonly stats: HubStatsService,
    private readonly live: LiveEventsListener,
    private readonly approvals: ApprovalsService,
    private readonly deadEvents: DeadEventsRepository,
    private readonly config: HubConfig,
  ) {}

  register(server: McpServer, session: McpSession): void {
    server.registerTool(
      'list_sources',
      { description: 'List the platforms the hub receives webhooks from, whether each is configured, and how many event types each has.', inputSchema: {} },
      () => run(async () => ({ sources: this.registry.all().map((a) => ({ source: a.source, configured: a.isConfigured(), eventTypes: a.eventTypes().length })) })),
    );

    server.registerTool(
      'list_event_types',
      { description: 'List every known event type (e.g. "hub.approval.requested") with a one-line description, optionally for one source. Use these names in filters and webhook patterns.', inputSchema: { source: source.optional() } },
      ({ source: wanted }) => run(async () => ({ eventTypes: this.registry.eventTypes(wanted) })),
    );

    server.registerTool(
      'list_events',
      {
        description: 'List stored events, newest first. The pull path for new events: pass the time of your last look as "since". Follow nextCursor for older pages.',
        inputSchema: {
          source: source.optional(),
          type: typeGlob.optional().describe('Type glob, e.g. "hub.approval.*"'),
          since: z.string().optional().describe('ISO 8601 time or unix milliseconds: only events received at or after it'),
          limit: z.number().int().min(1).max(200).optional().describe('Default 20'),
          cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
        },
      },
      ({ source: src, type, since, limit, cursor }) =>
        run(async () => {
          const sinceMs = parseInstant(since, 'since');
          if (cursor !== undefined && !this.events.isValidCursor(cursor)) throw new ToolInputError('cursor must be a nextCursor value from a previous page');
          return this.events.list({ source: src, type, since: sinceMs === undefined ? undefined : new Date(sinceMs), limit: limit ?? 20, cursor });
        }),
    );

    server.registerTool(
      'get_event',
      { description: 'Get one stored event by id ("evt_...") with its full data.', inputSchema: { id: z.string().describe('Event id, "evt_..."') } },
      ({ id }) =>
        run(async () => {
          const event = EVENT_ID_PATTERN.test(id) ? await this.events.get(id) : null;
          if (!event) throw new ToolInputError(`event ${id} not found (unknown, or older than the retention window)`);
          return event;
        }),
    );

    server.registerTool(
      'wait_for_event',
      {
        description: 'Wait until an event whose type matches "filter" (a glob such as "hub.approval.*") arrives, and return it; returns {timedOut: true} after timeoutSeconds (max 60, default 30).',
        inputSchema: {
          filter: typeGlob,
          source: source.optional(),
          timeoutSeconds: z.number().int().min(1).max(60).optional(),
        },
      },
      ({ filter, source: src, timeoutSeconds }, extra) =>
        run(async () => {
          const pattern = compileTypeGlob(filter);
          const timeout = (timeoutSeconds ?? 30) * 1000;
          const event = await this.live.waitFor((e) => pattern.test(e.type) && (!src || e.source === src), timeout, extra.signal);
          return event ? { timedOut: false, event } : { timedOut: true, waitedSeconds: timeout / 1000 };
        }),
    );

    server.registerTool(
      'subscribe_events',
      {
        description: 'Choose which events this session is told about as notifications: type globs such as ["hub.*", "*.session_ended"]. Default ["*"]; an empty list silences the session. Notifications are hints: use list_events to read.',
        inputSchema: { patterns: z.array(typeGlob).max(50) },
      },
      ({ patterns }) =>
        run(async () => {
          session.setPatterns(patterns);
          return { patterns };
        }),
    );

    server.registerTool(
      'register_webhook',
      {
        description: 'Register an HTTP endpoint to receive matching events, signed per Standard Webhooks. Registering a URL again updates it. A new webhook answers with its secret ("whsec_..."): keep it, it is shown again only by rotate_webhook_secret.',
        inputSchema: { url: z.string().describe('http(s) URL of the receiver'), secret: z.string().min(8).max(256).optional().describe('Own signing secret; default a generated whsec_ one'), ...webhookFields },
      },
      (args) =>
        run(async () => {
          const { created, subscription } = await this.subscriptions.upsert(args);
          return { created, webhook: created ? createdView(subscription) : toPublicSubscription(subscription) };
        }),
    );

    server.registerTool(
      'update_webhook',
      {
        description:
          'Change a webhook: url, events, filter, description, rate limit, retry schedule, headers, or enabled. ' +
          'Enabling answers `missed.skipped`: events it missed while disabled, which replay_webhook with status "skipped" delivers.',
        inputSchema: { id: subscriptionId, url: z.string().optional(), enabled: z.boolean().optional(), ...webhookFields },
      },
      ({ id, ...changes }) =>
        run(async () => {
          const webhook = toPublicSubscription(await this.subscriptions.update(id, changes));
          return changes.enabled === true ? { ...webhook, missed: await this.replay.missedWhileDisabled(id) } : webhook;
        }),
    );

    server.registerTool(
      'unregister_webhook',
      { description: 'Delete a webhook by id or by URL.', inputSchema: { id: subscriptionId.optional(), url: z.string().optional() } },
      ({ id, url }) =>
        run(async () => {
          if (!id && !url) throw new ToolInputError('give the webhook id or its url');
          const target = id ?? (await this.subscriptions.getByUrl(url!))?.id;
          if (!target) throw new ToolInputError(`no webhook is registered for ${url}`);
          return { deleted: await this.subscriptions.remove(target) };
        }),
    );

    server.registerTool(
      'list_webhooks',
      { description: 'List registered webhooks (secrets are never shown).', inputSchema: {} },
      () => run(async () => ({ webhooks: (await this.subscriptions.list()).map(toPublicSubscription) })),
    );

    server.registerTool(
      'test_webhook',
      { description: 'Send a signed "webhook.test" event to a webhook now and report status code, latency and the start of the response.', inputSchema: { id: subscriptionId } },
      ({ id }) => run(() => this.tester.test(id)),
    );

    server.registerTool(
      'rotate_webhook_secret',
      { description: 'Give a webhook a new signing secret (generated unless given). The old one keeps signing too for graceSeconds (default 86400).', inputSchema: { id: subscriptionId, secret: z.string().min(8).max(256).optional(), graceSeconds: z.number().int().min(0).max(604_800).optional() } },
      ({ id, secret, graceSeconds }) => run(async () => rotatedView(await this.subscriptions.rotateSecret(id, { secret, graceSeconds }))),
    );

    server.registerTool(
      'list_deliveries',
      {
        description: 'List deliveries (one event to one webhook), newest first, by webhook, event or status.',
        inputSchema: {
          subscriptionId: subscriptionId.optional(),
          eventId: z.string().optional(),
          status: z.enum(['pending', 'retrying', 'succeeded', 'dead', 'cancelled']).optional(),
          limit: z.number().int().min(1).max(200).optional(),
          cursor: z.string().optional(),
        },
      },
      ({ limit, ...query }) => run(() => this.deliveries.list({ ...query, limit: limit ?? 20 })),
    );

    server.registerTool(
      'get_delivery',
      { description: 'Get one delivery with its attempts: time, status code, duration, start of the response, error kind (dns, connect, tls, timeout, http, ssrf).', inputSchema: { id: z.string().describe('Delivery id, "dlv_..."') } },
      ({ id }) =>
        run(async () => {
          const delivery = await this.deliveries.getWithAttempts(id);
          if (!delivery) throw new ToolInputError(`delivery ${id} not found`);
          return delivery;
        }),
    );

    server.registerTool(
      'replay_event',
      { description: 'Deliver a stored event again to every enabled webhook it matches, or to one webhook.', inputSchema: { eventId: z.string(), subscriptionId: subscriptionId.optional() } },
      ({ eventId, subscriptionId: sub }) => run(async () => ({ deliveries: await this.replay.replayEvent(eventId, sub) })),
    );

    server.registerTool(
      'replay_webhook',
      {
        description:
          'Deliver to one webhook again what it missed or failed, by time range: status "skipped" (events it missed while disabled, ' +
          'the default), "failed" (dead deliveries) or "all" (also delivered ones). dryRun: true only counts. Times are ISO or unix ms.',
        inputSchema: {
          id: subscriptionId,
          status: z.enum(['skipped', 'failed', 'all']).optional(),
          since: z.union([z.string(), z.number()]).optional().describe('Start; default: skipped ones since the beginning, else since the webhook was disabled or 24 h ago'),
          until: z.union([z.string(), z.number()]).optional().describe('End; default now'),
          dryRun: z.boolean().optional(),
        },
      },
      ({ id, ...request }) => run(() => this.replay.replaySubscription(id, request)),
    );

    server.registerTool(
      'list_dead_letters',
      { description: 'List deliveries that exhausted their retries.', inputSchema: { subscriptionId: subscriptionId.optional(), limit: z.number().int().min(1).max(200).optional(), cursor: z.string().optional() } },
      ({ limit, ...query }) => run(() => this.deadLetters.list({ ...query, limit: limit ?? 20 })),
    );

    server.registerTool(
      'redrive_dead_letters',
      { description: 'Run dead deliveries again: the given ids, or all of them (optionally of one webhook). dryRun counts only.', inputSchema: { ids: z.array(z.string()).min(1).max(1000).optional(), subscriptionId: subscriptionId.optional(), dryRun: z.boolean().optional() } },
      (args) => run(() => this.deadLetters.redrive(args)),
    );

    server.registerTool(
      'list_approvals',
      {
        description: 'List approvals (actions waiting for or given a human decision), newest first, optionally of one status: pending, approved, rejected, expired.',
        inputSchema: {
          status: z.enum(APPROVAL_STATUSES as [string, ...string[]]).optional(),
          limit: z.number().int().min(1).max(200).optional(),
          cursor: z.string().optional(),
        },
      },
      ({ status, limit, cursor }) => run(() => this.approvals.list({ status, limit: limit ?? 20, cursor })),
    );

    server.registerTool(
      'decide_approval',
      {
        description: 'Approve or reject a pending approval. The first decision wins: deciding one that is already decided or expired is an error naming the recorded decision. An approved action then runs once.',
        inputSchema: {
          approval_id: z.string().describe('Approval id, "apr_..."'),
          decision: z.enum(['approve', 'reject']),
          reason: z.string().max(500).optional(),
        },
      },
      ({ approval_id, decision, reason }) => run(() => this.approvals.decide(approval_id, decision, { channel: 'mcp', id: session.id }, reason)),
    );

    server.registerTool(
      'list_dead_events',
      { description: 'List events the worker gave up on (their handlers failed too often), newest first, with the last error. Fix the cause, then redrive_dead_events.', inputSchema: { limit: z.number().int().min(1).max(200).optional(), cursor: z.string().optional() } },
      ({ limit, cursor }) => run(() => this.deadEvents.list({ limit: limit ?? 20, cursor })),
    );

    server.registerTool(
      'redrive_dead_events',
      { description: 'Send dead events through the worker again: the given deadIds, or all of them (1000 a call). dryRun counts only.', inputSchema: { ids: z.array(z.string()).min(1).max(1000).optional(), dryRun: z.boolean().optional() } },
      (args) => run(() => this.deadEvents.redrive(args, this.config.eventRetentionSeconds, this.config.eventStreamMaxLen)),
    );

    server.registerTool(
      'get_stats',
      { description: 'Hub statistics: events received per source in the last 24 h (accepted, duplicates, rejected), stored events, webhooks, and delivery queue counts.', inputSchema: {} },
      () => run(() => this.stats.snapshot()),
    );
  }
}
