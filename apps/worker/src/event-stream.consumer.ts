import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys, StreamEntry, entryToStreamEntry } from '@hub/store';
import { STREAM_EVENT_HANDLERS, StreamEventHandler } from './stream-event-handler';

export const FANOUT_GROUP = 'fanout';

type StreamReply = [string, [string, string[]][]][] | null;

export interface ConsumerStats {
  processed: number;
  reclaimed: number;
  deadLettered: number;
  failedBatches: number;
}

/**
 * Reads the event stream through a consumer group: claims new entries, runs the handlers,
 * acknowledges. Entries left pending by a crashed consumer are taken over with XAUTOCLAIM after
 * `STREAM_CLAIM_IDLE_MS`; an entry that keeps failing goes to the dead-event stream after
 * `STREAM_MAX_DELIVERIES` attempts, so one poison event cannot stall the group.
 */
@Injectable()
export class EventStreamConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventStreamConsumer.name);
  private blocking?: Redis;
  private running = false;
  private loop?: Promise<void>;
  private lastClaimAt = 0;
  readonly stats: ConsumerStats = { processed: 0, reclaimed: 0, deadLettered: 0, failedBatches: 0 };

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(STREAM_EVENT_HANDLERS) private readonly handlers: StreamEventHandler[],
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {}

  get consumerName(): string {
    return this.config.stream.consumerName;
  }

  onApplicationBootstrap(): void {
    // A blocking XREADGROUP needs its own connection, one that waits out Redis restarts.
    this.blocking = this.redis.duplicate({
      connectionName: `${this.config.prefix}:stream-consumer`,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    this.blocking.on('error', () => undefined);
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.blocking?.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let groupReady = false;
    while (this.running) {
      try {
        if (!groupReady) groupReady = await this.ensureGroup();
        // First our own pending entries (a restart under the same name), then others' stale ones.
        await this.processPending();
        if (Date.now() - this.lastClaimAt >= Math.min(this.config.stream.claimIdleMs, 5_000)) await this.reclaimStale();
        await this.readNew();
      } catch (error) {
        if (!this.running) break;
        this.stats.failedBatches++;
        this.logger.warn(`stream consumer: ${(error as Error).message}; retrying in 1 s`);
        await sleep(1_000);
      }
    }
  }

  /** Creates the group at the start of the stream, so events stored before any worker ran are processed. */
  private async ensureGroup(): Promise<boolean> {
    try {
      await this.redis.xgroup('CREATE', this.keys.eventStream(), FANOUT_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
    return true;
  }

  private async readNew(): Promise<void> {
    const reply = (await this.blocking!.xreadgroup(
      'GROUP', FANOUT_GROUP, this.consumerName,
      'COUNT', this.config.stream.batchSize,
      'BLOCK', 1_000,
      'STREAMS', this.keys.eventStream(), '>',
    )) as StreamReply;
    const rows = reply?.[0]?.[1] ?? [];
    if (rows.length > 0) await this.processRows(rows);
  }

  private async processPending(): Promise<void> {
    for (;;) {
      const reply = (await this.redis.xreadgroup(
        'GROUP', FANOUT_GROUP, this.consumerName,
        'COUNT', this.config.stream.batchSize,
        'STREAMS', this.keys.eventStream(), '0',
      )) as StreamReply;
      const rows = (reply?.[0]?.[1] ?? []).filter(([, fields]) => fields !== null);
      if (rows.length === 0) return;
      await this.processRows(rows);
    }
  }

  private async reclaimStale(): Promise<void> {
    this.lastClaimAt = Date.now();
    let cursor = '0-0';
    do {
      const [next, rows, deleted] = (await this.redis.xautoclaim(
        this.keys.eventStream(), FANOUT_GROUP, this.consumerName,
        this.config.stream.claimIdleMs, cursor, 'COUNT', this.config.stream.batchSize,
      )) as [string, [string, string[]][], string[]];
      if (deleted?.length) await this.redis.xack(this.keys.eventStream(), FANOUT_GROUP, ...deleted);
      const live = rows.filter(([, fields]) => fields !== null);
      if (live.length > 0) {
        this.stats.reclaimed += live.length;
        this.logger.log(`reclaimed ${live.length} entries idle for over ${this.config.stream.claimIdleMs} ms`);
        await this.processRows(live);
      }
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  private async processRows(rows: [string, string[]][]): Promise<void> {
    const entries: StreamEntry[] = [];
    const unreadable: string[] = [];
    for (const [entryId, fields] of rows) {
      try {
        entries.push(entryToStreamEntry(entryId, fields));
      } catch {
        unreadable.push(entryId);
      }
    }
    if (unreadable.length) await this.deadLetter(unreadable, 'unreadable entry');

    try {
      const events = entries.map((e) => e.event);
      for (const handler of this.handlers) await handler.handle(events);
    } catch (error) {
      this.stats.failedBatches++;
      this.logger.warn(`handlers failed for ${entries.length} entries: ${(error as Error).message}`);
      await this.deadLetterExhausted(entries.map((e) => e.entryId), (error as Error).message);
      return; // left pending: retried after STREAM_CLAIM_IDLE_MS
    }
    if (entries.length > 0) {
      await this.redis.xack(this.keys.eventStream(), FANOUT_GROUP, ...entries.map((e) => e.entryId));
      this.stats.processed += entries.length;
    }
  }

  /** Moves entries delivered STREAM_MAX_DELIVERIES times or more to the dead-event stream and acks them. */
  private async deadLetterExhausted(entryIds: string[], reason: string): Promise<void> {
    if (entryIds.length === 0) return;
    const pending = (await this.redis.xpending(
      this.keys.eventStream(), FANOUT_GROUP, entryIds[0], entryIds[entryIds.length - 1], entryIds.length,
    )) as [string, string, number, number][];
    const exhausted = pending.filter(([, , , deliveries]) => deliveries >= this.config.stream.maxDeliveries).map(([id]) => id);
    if (exhausted.length) await this.deadLetter(exhausted, reason);
  }

  private async deadLetter(entryIds: string[], reason: string): Promise<void> {
    const pipeline = this.redis.multi();
    for (const entryId of entryIds) {
      pipeline.xadd(this.keys.deadEventStream(), 'MAXLEN', '~', 100_000, '*', 'entryId', entryId, 'reason', reason.slice(0, 500));
    }
    pipeline.xack(this.keys.eventStream(), FANOUT_GROUP, ...entryIds);
    await pipeline.exec();
    this.stats.deadLettered += entryIds.length;
    this.logger.error(`moved ${entryIds.length} stream entries to ${this.keys.deadEventStream()}: ${reason}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
