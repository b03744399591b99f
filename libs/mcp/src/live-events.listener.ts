import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { HubMetrics } from '@hub/observability';
import type Redis from 'ioredis';
import { DomainEvent, REDIS_CLIENT, RedisKeys, duplicateClient } from '@hub/store';
import { McpSession } from './mcp-session';
import { McpSessionRegistry } from './mcp-session.registry';
import { McpNotification, McpToolsets } from './mcp-toolset';

interface Waiter {
  matches: (event: DomainEvent) => boolean;
  resolve: (event: DomainEvent) => void;
}

/**
 * Receives every processed event from any worker (Redis pub/sub) and tells this gateway's MCP
 * sessions whose filter matches. Each session is notified on its own promise: a slow or gone
 * client never holds up the others. Also serves wait_for_event.
 */
@Injectable()
export class LiveEventsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LiveEventsListener.name);
  private subscriber?: Redis;
  private readonly waiters = new Set<Waiter>();
  /** Sessions outside the registry (stdio). */
  private readonly extraSessions = new Set<McpSession>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly sessions: McpSessionRegistry,
    private readonly toolsets: McpToolsets,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics?.stateGauge('hub_mcp_sessions', 'MCP sessions open on this gateway (Streamable HTTP and stdio).', [], async () => [
      [{}, this.sessions.all().length + this.extraSessions.size],
    ]);
    this.subscriber = duplicateClient(this.redis, { connectionName: `${this.keys.prefix}:mcp-live`, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
    // Not awaited: with Redis down the gateway still boots (and answers 503); ioredis subscribes once connected.
    this.subscriber.subscribe(this.keys.liveEventsChannel()).catch((error: Error) => this.logger.warn(`live events unavailable: ${error.message}`));
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  attach(session: McpSession): void {
    this.extraSessions.add(session);
  }

  detach(session: McpSession): void {
    this.extraSessions.delete(session);
  }

  /** Resolves with the first event that matches, or null after timeoutMs. */
  waitFor(matches: (event: DomainEvent) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<DomainEvent | null> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        matches,
        resolve: (event) => {
          cleanup();
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(null);
      }, timeoutMs);
      const onAbort = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
    });
  }

  private dispatch(message: string): void {
    // Nobody here to tell (the usual case under load without MCP clients): not even parsed.
    if (this.waiters.size === 0 && this.extraSessions.size === 0 && this.sessions.size === 0) return;
    let events: DomainEvent[];
    try {
      // An array of events (a worker packs each stream batch), or one event on its own.
      const parsed = JSON.parse(message) as DomainEvent | DomainEvent[];
      events = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return;
    }
    for (const event of events) {
      for (const waiter of [...this.waiters]) if (waiter.matches(event)) waiter.resolve(event);
      const extra = this.toolsets.all().flatMap((toolset) => toolset.notificationsFor?.(event) ?? []);
      for (const session of [...this.sessions.all(), ...this.extraSessions]) {
        void notifySession(session, event, extra).then(
          (methods) => methods.forEach((method) => this.metrics?.mcpNotifications.inc({ method })),
          (error: Error) => this.logger.debug(`notify ${session.id}: ${error.message}`),
        );
      }
    }
  }
}

/**
 * What an event causes for one session: `notifications/message` and the toolsets' own notifications
 * (a seed's custom method) when its filter matches, a resource update when it subscribed to the source.
 */
export async function notifySession(session: McpSession, event: DomainEvent, extra: McpNotification[] = []): Promise<string[]> {
  const sends: Promise<unknown>[] = [];
  const methods: string[] = [];
  if (session.wants(event.type)) {
    sends.push(session.server.sendLoggingMessage({ level: 'info', logger: 'hub.events', data: event }, session.transport?.sessionId));
    methods.push('notifications/message');
    for (const notification of extra) {
      sends.push(session.server.server.notification(notification));
      methods.push(notification.method);
    }
  }
  const uri = `hub://events/${event.source}`;
  if (session.resourceSubscriptions.has(uri)) {
    sends.push(session.server.server.sendResourceUpdated({ uri }));
    methods.push('notifications/resources/updated');
  }
  await Promise.all(sends);
  return methods;
}
