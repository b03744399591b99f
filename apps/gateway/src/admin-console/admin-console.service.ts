import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { ApprovalsService } from '@hub/approvals';
import { DeadLettersService, DeliveriesRepository, SubscriptionsService } from '@hub/delivery';
import { EventsRepository, IngressStatsRepository, REDIS_CLIENT, RedisKeys } from '@hub/store';
import { ProviderRegistry } from '@hub/webhook-core';
import { ApprovalRow, DeliveryView, EndpointRow, Overview } from './admin-pages';

/** Endpoints shown with their delivery figures (each costs two reads). */
const MAX_ENDPOINTS = 100;
/** Latest deliveries a success rate is computed over. */
const RECENT_DELIVERIES = 50;

/**
 * What the console shows, gathered from the services the REST API and the MCP tools use; nothing
 * here is the console's own state.
 */
@Injectable()
export class AdminConsoleService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly stats: IngressStatsRepository,
    private readonly events: EventsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly deliveries: DeliveriesRepository,
    private readonly deadLetters: DeadLettersService,
    private readonly approvals: ApprovalsService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async overview(filter: { source?: string; type?: string; cursor?: string }): Promise<Overview> {
    const adapters = this.registry.all();
    const [sources, endpoints, dead, deadLetterTotal, approvals, events] = await Promise.all([
      Promise.all(
        adapters.map(async (adapter) => {
          const [summary, perHour, last] = await Promise.all([
            this.stats.summary(adapter.source, 24),
            this.stats.acceptedPerHour(adapter.source, 24),
            this.events.list({ source: adapter.source, limit: 1 }),
          ]);
          return {
            source: adapter.source,
            configured: adapter.isConfigured(),
            lastEventAt: last.data[0]?.receivedAt,
            accepted: summary.accepted,
            rejected: summary.rejected,
            duplicates: summary.duplicates,
            perHour,
          };
        }),
      ),
      this.endpointRows(),
      this.deadLetters.list({ limit: 50 }),
      this.deliveries.countDead(),
      this.approvalRows(),
      this.events.list({ ...(filter.source ? { source: filter.source } : {}), ...(filter.type ? { type: filter.type } : {}), limit: 25, ...(filter.cursor ? { cursor: filter.cursor } : {}) }),
    ]);
    return {
      sources,
      endpoints,
      deadLetters: dead.data.map((d) => ({ id: d.id, eventType: d.eventType, subscriptionId: d.subscriptionId, url: d.url, attemptCount: d.attemptCount, lastError: d.lastError, lastStatusCode: d.lastStatusCode, deadAt: d.deadAt })),
      deadLetterTotal,
      approvals,
      events: events.data.map((e) => ({ id: e.id, source: e.source, type: e.type, receivedAt: e.receivedAt, subject: e.subject })),
      eventFilter: filter,
      nextEventsCursor: events.nextCursor,
      knownSources: adapters.map((a) => a.source),
    };
  }

  private async endpointRows(): Promise<EndpointRow[]> {
    const all = (await this.subscriptions.list()).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(0, MAX_ENDPOINTS);
    return Promise.all(
      all.map(async (s) => {
        const [recent, failingSince] = await Promise.all([
          this.deliveries.list({ subscriptionId: s.id, limit: RECENT_DELIVERIES }),
          this.redis.get(this.keys.failingSince(s.id)),
        ]);
        const finished = recent.data.filter((d) => d.status === 'succeeded' || d.status === 'dead');
        const latest = recent.data.find((d) => d.attemptCount > 0);
        const attempts = latest ? await this.deliveries.attempts(latest.id) : [];
        const last = attempts[attempts.length - 1];
        return {
          id: s.id,
          url: s.url,
          events: s.events,
          enabled: s.enabled,
          disabledReason: s.disabledReason,
          successRate: finished.length ? finished.filter((d) => d.status === 'succeeded').length / finished.length : undefined,
          recentCount: finished.length,
          lastStatus: last ? (last.statusCode ? `HTTP ${last.statusCode}` : (last.errorKind ?? 'error')) : undefined,
          lastLatencyMs: last?.durationMs,
          failingSince: failingSince ? new Date(Number(failingSince)).toISOString() : undefined,
        };
      }),
    );
  }

  /** Pending first (all of them, up to 100), then the latest 20 decided or expired. */
  private async approvalRows(): Promise<ApprovalRow[]> {
    const [pending, recent] = await Promise.all([this.approvals.list({ status: 'pending', limit: 100 }), this.approvals.list({ limit: 40 })]);
    const decided = recent.data.filter((a) => a.status !== 'pending').slice(0, 20);
    return [...pending.data, ...decided].map((a) => ({ id: a.id, action: a.action, summary: a.summary, status: a.status, requestedAt: a.requestedAt, expiresAt: a.expiresAt, decision: a.decision }));
  }

  async event(id: string): Promise<{ event: Awaited<ReturnType<EventsRepository['get']>>; deliveries: DeliveryView[] }> {
    const event = await this.events.get(id);
    if (!event) return { event, deliveries: [] };
    const list = await this.deliveries.list({ eventId: id, limit: 100 });
    const deliveries = await Promise.all(
      list.data.map(async (d) => ({ id: d.id, url: d.url, subscriptionId: d.subscriptionId, status: d.status, attemptCount: d.attemptCount, lastError: d.lastError, attempts: await this.deliveries.attempts(d.id) })),
    );
    return { event, deliveries };
  }
}
