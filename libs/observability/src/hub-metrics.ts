import { Injectable } from '@nestjs/common';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PROCESS_METRICS = 'hub_process_';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The hub's Prometheus metrics, one registry per app (tests run several apps in one process).
 * Increments are in-process and cheap; nothing here touches Redis on a hot path.
 */
@Injectable()
export class HubMetrics {
  readonly registry = new Registry();
  private readonly sources: (() => Promise<unknown>)[] = [];

  /** Ingress requests by source and outcome (accepted, duplicate, rejected). */
  readonly ingressRequests = new Counter({
    name: 'hub_ingress_requests_total',
    help: 'Webhook requests received, by source and outcome (accepted, duplicate, rejected).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Events stored, by source. */
  readonly eventsStored = new Counter({
    name: 'hub_events_stored_total',
    help: 'Events stored after verification and dedupe, by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  /** Delivery attempts by result (succeeded, retrying, dead) and error kind. */
  readonly deliveryAttempts = new Counter({
    name: 'hub_delivery_attempts_total',
    help: 'Outbound delivery attempts, by result (succeeded, retrying, dead) and error kind (none, http, timeout, connect, dns, tls, ssrf, other).',
    labelNames: ['result', 'error_kind'] as const,
    registers: [this.registry],
  });

  readonly deliveryDuration = new Histogram({
    name: 'hub_delivery_duration_seconds',
    help: 'Time of one outbound delivery attempt, request to response.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** What the stream consumer did besides reading new entries. */
  readonly streamEntries = new Counter({
    name: 'hub_stream_entries_total',
    help: 'Event-stream entries by what happened to them: processed, taken_over (from a consumer whose heartbeat stopped), reclaimed (retried after STREAM_CLAIM_IDLE_MS), dead_lettered, trimmed.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  /** Entries over EVENT_STREAM_MAXLEN that could not be trimmed because a consumer group still needs them. */
  readonly streamOverCap = new Gauge({
    name: 'hub_stream_entries_over_cap',
    help: 'Event-stream entries beyond EVENT_STREAM_MAXLEN kept because a consumer group has not acknowledged them (0 when the cap holds).',
    registers: [this.registry],
  });

  /** MCP notifications sent to sessions, by method. */
  readonly mcpNotifications = new Counter({
    name: 'hub_mcp_notifications_total',
    help: 'Notifications sent to MCP sessions, by method (notifications/message, notifications/resources/updated, ...).',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  /** Ingress requests refused by authentication, by source and reason. */
  readonly verificationFailures = new Counter({
    name: 'hub_verification_failures_total',
    help: 'Ingress requests that failed authentication, by source and reason (the reason the sender was told).',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    // prom-client samples event-loop delay with a timer every 10 ms by default: 100 wake-ups a second,
    // about 9 ms of CPU per second on an idle process here (issue 15). Every 100 ms still catches
    // the stalls worth alerting on, for about a seventh of that.
    collectDefaultMetrics({ register: this.registry, prefix: PROCESS_METRICS, eventLoopMonitoringPrecision: 100 });
  }

  /**
   * Adds another process's metrics (its registry's getMetricsAsJSON(), or undefined when it cannot say) to
   * every scrape of this one: the worker process a role-`all` gateway forks. Counters and histograms are
   * summed; gauges read from the store at scrape time are this process's (both read the same Redis); process
   * metrics (`hub_process_*`) stay this process's own.
   */
  addSource(read: () => Promise<unknown>): void {
    this.sources.push(read);
  }

  /** The Prometheus text of /metrics: this registry, plus the sources added. */
  async scrape(): Promise<string> {
    if (this.sources.length === 0) return this.registry.metrics();
    const [own, ...others] = await Promise.all([this.registry.getMetricsAsJSON(), ...this.sources.map((read) => read().catch(() => undefined))]);
    // Aggregation takes each metric's method from its first occurrence, this process's.
    for (const metric of own) if (metric.name.startsWith(PROCESS_METRICS)) Object.assign(metric, { aggregator: 'first' });
    const added = others
      .filter((list): list is MetricsJson => Array.isArray(list))
      .map((list) => list.filter((metric) => typeof metric?.name === 'string' && !metric.name.startsWith(PROCESS_METRICS)));
    return AggregatorRegistry.aggregate([own, ...added]).metrics();
  }

  /**
   * A gauge read from the store when /metrics is scraped: `read` gives [labels, value] pairs. A read
   * that fails (Redis down) leaves the gauge empty for that scrape rather than failing /metrics.
   */
  stateGauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<[Partial<Record<L, string>>, number][]>): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      // Every process reads the same store: merged with another process's scrape (addSource), counted once.
      aggregator: 'first',
      async collect() {
        this.reset();
        try {
          for (const [labels, value] of await read()) this.set(labels, value);
        } catch {
          // Scrapes keep working during an outage; hub_up-style alerts come from /health.
        }
      },
    });
  }
}
