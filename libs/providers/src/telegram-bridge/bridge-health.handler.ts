import { Injectable, Logger } from '@nestjs/common';
import { DomainEvent, EventsRepository, StreamEventHandler, StreamHandler, newDomainEvent } from '@hub/store';
import { BridgeHealth, BridgeHealthRepository } from './bridge-health.repository';

/** The hub's own alert events (source `hub`); operators subscribe a webhook or an MCP session to `hub.alert`. */
export const HUB_ALERT = 'hub.alert';
export const HUB_ALERT_TYPE = { type: HUB_ALERT, description: 'Something an operator should know: a sender turned unhealthy or degraded, or recovered (data: source, previous_status, status, checks, message).' };

const BAD = new Set(['unhealthy', 'degraded']);

interface HealthPayload {
  health?: { status?: unknown; previous_status?: unknown; checks?: unknown; uptime_seconds?: unknown; events_processed_total?: unknown };
  alert_message?: unknown;
}

/**
 * Keeps the CCTelegram bridge's last health (shown in `/api/status`) and raises `hub.alert` when it
 * turns unhealthy or degraded, and when it comes back. Crash-safe and idempotent: the alert is
 * stored (keyed by the report's event) before the new status is recorded, so a re-run either finds
 * the status recorded (no transition, no alert) or stores the same alert again (a duplicate).
 */
@Injectable()
@StreamHandler()
export class BridgeHealthHandler implements StreamEventHandler {
  readonly name = 'cctelegram-health';
  private readonly logger = new Logger(BridgeHealthHandler.name);

  constructor(
    private readonly health: BridgeHealthRepository,
    private readonly events: EventsRepository,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== 'cctelegram.health_update') continue;
      const payload = (event.data ?? {}) as HealthPayload;
      const status = typeof payload.health?.status === 'string' ? payload.health.status.slice(0, 64) : undefined;
      if (!status) continue;
      const at = Date.parse(event.occurredAt) || Date.parse(event.receivedAt);
      const current = await this.health.current();
      // A report older than the recorded one changes nothing (it was overtaken).
      if (current && current.at > at) continue;
      const reported = typeof payload.health?.previous_status === 'string' ? payload.health.previous_status.slice(0, 64) : undefined;
      const previous = current?.status ?? reported;
      const checks = Array.isArray(payload.health?.checks) ? payload.health.checks.slice(0, 50) : [];
      if (previous !== status && (BAD.has(status) || (previous !== undefined && BAD.has(previous)))) {
        const message =
          typeof payload.alert_message === 'string' && payload.alert_message.trim()
            ? payload.alert_message.slice(0, 500)
            : BAD.has(status)
              ? `CCTelegram bridge is ${status}${previous ? ` (was ${previous})` : ''}${failing(checks)}`
              : `CCTelegram bridge recovered: ${status} (was ${previous})`;
        const alert = newDomainEvent('hub', HUB_ALERT, { source: 'cctelegram', previous_status: previous ?? null, status, checks, message, report_event_id: event.id }, { subject: 'cctelegram' });
        await this.events.raise(alert, `alert:cctelegram:${event.id}`);
        this.logger.warn(message);
      }
      const health: BridgeHealth = {
        status,
        ...(reported ? { previous_status: reported } : {}),
        checks,
        ...(typeof payload.health?.uptime_seconds === 'number' ? { uptime_seconds: payload.health.uptime_seconds } : {}),
        ...(typeof payload.health?.events_processed_total === 'number' ? { events_processed_total: payload.health.events_processed_total } : {}),
        reported_at: new Date(at).toISOString(),
        event_id: event.id,
      };
      await this.health.record(health, at);
    }
  }
}

/** ` (failing: a, b)` naming the checks that did not pass, or nothing. */
function failing(checks: unknown[]): string {
  const names = checks
    .filter((c): c is { name: string; status?: unknown } => typeof (c as { name?: unknown })?.name === 'string' && (c as { status?: unknown }).status !== 'pass')
    .map((c) => c.name.slice(0, 64))
    .slice(0, 10);
  return names.length ? ` (failing: ${names.join(', ')})` : '';
}
