import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { HubMetrics } from '@hub/observability';
import { REDIS_CLIENT, RedisKeys, STREAM_EVENT_HANDLERS, duplicateClient, StreamEntry, StreamEventHandler, entryToStreamEntry, isRedisUnavailableError } from '@hub/store';

export const FANOUT_GROUP = 'fanout';

/** How often a consumer says it is alive, and how long the sign lasts (stalls of a few seconds are normal here). */
const HEARTBEAT_EVERY_MS = 2_000;
const HEARTBEAT_TTL_MS = 10_000;

type StreamReply = [string, [string, string[]][]][] | null;

export interface ConsumerStats {
  processed: number;
  reclaimed: number;
  /** Entries taken over from consumers whose heartbeat had lapsed (dead workers). */
  takenOver: number;
  deadLettered: number;
  failedBatches: number;
}

/**
 * Reads the event stream through a consumer group: claims new entries, runs the handlers,
 * acknowledges. Each consumer keeps a heartbeat key alive; the entries of a consumer whose heartbeat
 * lapsed (a SIGKILLed worker) are taken over within seconds. Entries a live consumer failed are
 * retried with XAUTOCLAIM after `STREAM_CLAIM_IDLE_MS`; an entry that keeps failing goes to the
 * dead-event stream after `STREAM_MAX_DELIVERIES` attempts, so one poison event cannot stall the group.
 */
@Injectable()
export class EventStreamConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventStreamConsumer.name);
  private blocking?: Redis;
  private running = false;
  private loop?: Promise<void>;
  private lastClaimAt = 0;
  private lastTrimAt = 0;
  private handlers: StreamEventHandler[] = [];
  private heartbeat?: NodeJS.Timeout;
  readonly stats: ConsumerStats = { processed: 0, reclaimed: 0, takenOver: 0, deadLettered: 0, failedBatches: 0 };

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(STREAM_EVENT_HANDLERS) private readonly resolveHandlers: () => StreamEventHandler[],
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  get consumerName(): string {
    return this.config.stream.consumerName;
  }

  onApplicationBootstrap(): void {
    this.handlers = this.resolveHandlers();
    this.logger.debug(`stream handlers: ${this.handlers.map((h) => h.name).join(', ')}`);
    // A blocking XREADGROUP needs its own connection, one that waits out Redis restarts.
    this.blocking = duplicateClient(this.redis, {
      connectionName: `${this.config.prefix}:stream-consumer`,
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    this.blocking.on('error', () => undefined);
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    clearInterval(this.heartbeat);
    this.blocking?.disconnect();
    await this.loop;
    // A clean exit hands over at once: what this consumer still holds is taken over by the next sweep.
    await this.redis.del(this.keys.consumerHeartbeat(this.consumerName)).catch(() => undefined);
  }

  private beat(): void {
    this.redis.set(this.keys.consumerHeartbeat(this.consumerName), String(Date.now()), 'PX', HEARTBEAT_TTL_MS)
      .catch(() => undefined); // Redis down: nobody can take over meanwhile either.
  }

  private async run(): Promise<void> {
    let started = false;
    while (this.running) {
      try {
        if (!started) {
          await this.ensureGroup();
          // Entries this consumer name left pending before a restart; later retries wait for the idle time.
          await this.processPending();
          started = true;
        }
        if (Date.now() - this.lastClaimAt >= Math.min(this.config.stream.claimIdleMs, HEARTBEAT_EVERY_MS)) {
          this.lastClaimAt = Date.now();
          await this.takeOverDeadConsumers();
          await this.reclaimStale();
        }
        if (Date.now() - this.lastTrimAt >= 5_000) await this.trimBehindGroups();
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
  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.eventStream(), FANOUT_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
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
    let after = '0';
    for (;;) {
      const reply = (await this.redis.xreadgroup(
        'GROUP', FANOUT_GROUP, this.consumerName,
        'COUNT', this.config.stream.batchSize,
        'STREAMS', this.keys.eventStream(), after,
      )) as StreamReply;
      const rows = reply?.[0]?.[1] ?? [];
      if (rows.length === 0) return;
      after = rows[rows.length - 1][0];
      await this.processRows(rows.filter(([, fields]) => fields !== null));
    }
  }

  /**
   * Takes over everything pending at consumers without a heartbeat, and removes them from the group.
   * An entry is claimed only when it has been idle for the heartbeat's lifetime, so a consumer that
   * merely stalled briefly keeps what it is working on.
   */
  private async takeOverDeadConsumers(): Promise<void> {
    const stream = this.keys.eventStream();
    const consumers = (await this.redis.xinfo('CONSUMERS', stream, FANOUT_GROUP)) as (string | number)[][];
    for (const consumer of consumers) {
      const info: Record<string, string | number> = {};
      for (let i = 0; i < consumer.length; i += 2) info[String(consumer[i])] = consumer[i + 1];
      const name = String(info.name);
      if (name === this.consumerName || !this.running) continue;
      if (await this.redis.exists(this.keys.consumerHeartbeat(name))) continue;
      if (Number(info.pending) === 0) {
        // Dead and holding nothing: forget it, unless it was seen just now (a consumer starting up).
        if (Number(info.idle) > HEARTBEAT_TTL_MS) await this.redis.xgroup('DELCONSUMER', stream, FANOUT_GROUP, name);
        continue;
      }
      for (;;) {
        const pending = (await this.redis.xpending(stream, FANOUT_GROUP, 'IDLE', HEARTBEAT_TTL_MS, '-', '+', this.config.stream.batchSize, name)) as [string, string, number, number][];
        if (pending.length === 0) break;
        const rows = (await this.redis.xclaim(stream, FANOUT_GROUP, this.consumerName, HEARTBEAT_TTL_MS, ...pending.map(([id]) => id))) as [string, string[] | null][];
        // Entries trimmed while pending come back empty (or not at all): nothing left to do for them.
        const claimed = new Set(rows.map(([id]) => id));
        const gone = pending.map(([id]) => id).filter((id) => !claimed.has(id));
        const live = rows.filter(([, fields]) => fields !== null) as [string, string[]][];
        const empty = rows.filter(([, fields]) => fields === null).map(([id]) => id);
        if (gone.length + empty.length > 0) await this.redis.xack(stream, FANOUT_GROUP, ...gone, ...empty);
        if (live.length === 0 && rows.length === 0) break;
        this.stats.takenOver += live.length;
        this.metrics?.streamEntries.inc({ action: 'taken_over' }, live.length);
        this.logger.warn(`took over ${live.length} entries from consumer ${name}, whose heartbeat stopped`);
        await this.processRows(live);
        if (pending.length < this.config.stream.batchSize) break;
      }
    }
  }

  private async reclaimStale(): Promise<void> {
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
        this.metrics?.streamEntries.inc({ action: 'reclaimed' }, live.length);
        this.logger.log(`reclaimed ${live.length} entries idle for over ${this.config.stream.claimIdleMs} ms`);
        await this.processRows(live);
      }
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  /**
   * Trims the stream only behind what every consumer group has acknowledged: by retention time, and
   * down to EVENT_STREAM_MAXLEN when it is longer. An entry a group still needs (pending, or not yet
   * read) is never dropped; when that keeps the stream over its cap, a warning says how far behind.
   */
  private async trimBehindGroups(): Promise<void> {
    this.lastTrimAt = Date.now();
    const stream = this.keys.eventStream();
    const groups = (await this.redis.xinfo('GROUPS', stream)) as (string | number | null)[][];
    let needed: string | undefined;
    for (const group of groups) {
      const info: Record<string, string | number | null> = {};
      for (let i = 0; i < group.length; i += 2) info[String(group[i])] = group[i + 1];
      const [pending, oldest] = (await this.redis.xpending(stream, String(info.name))) as [number, string | null];
      // The oldest entry this group may still need: its oldest pending one, else the last it read.
      const keep = Number(pending) > 0 && oldest ? oldest : String(info['last-delivered-id'] ?? '0-0');
      if (needed === undefined || compareIds(keep, needed) < 0) needed = keep;
    }
    if (needed === undefined || needed === '0-0') return;
    const length = await this.redis.xlen(stream);
    const retentionCut = `${Math.max(0, Date.now() - this.config.eventRetentionSeconds * 1000)}-0`;
    // Over the cap, everything acknowledged may go; otherwise only what is past the retention.
    const cut = length > this.config.eventStreamMaxLen ? needed : compareIds(retentionCut, needed) < 0 ? retentionCut : needed;
    const trimmed = Number(await this.redis.xtrim(stream, 'MINID', '~', cut));
    if (trimmed > 0) this.metrics?.streamEntries.inc({ action: 'trimmed' }, trimmed);
    this.metrics?.streamOverCap.set(Math.max(0, length - trimmed - this.config.eventStreamMaxLen));
    if (length - trimmed > this.config.eventStreamMaxLen * 1.1) {
      this.logger.warn(`event stream holds ${length - trimmed} entries (EVENT_STREAM_MAXLEN ${this.config.eventStreamMaxLen}): workers have not acknowledged the newer ones yet, so none of them is trimmed`);
    }
  }

  private async processRows(rows: [string, string[]][]): Promise<void> {
    const entries: StreamEntry[] = [];
    const unreadable: [string, string[]][] = [];
    for (const row of rows) {
      try {
        entries.push(entryToStreamEntry(row[0], row[1]));
      } catch {
        unreadable.push(row);
      }
    }
    if (unreadable.length) await this.deadLetter(unreadable, 'unreadable entry');

    if (entries.length === 0) return;
    try {
      await this.runHandlers(entries);
      await this.ack(entries);
    } catch (error) {
      // The store being down is nobody's poison: leave the batch pending and back off (the run loop
      // waits), so no event is dead-lettered for an outage.
      if (isRedisUnavailableError(error)) throw error;
      // One bad event must not hold back its batch: retry one by one, ack what succeeds.
      this.stats.failedBatches++;
      this.logger.warn(`handlers failed for a batch of ${entries.length}: ${(error as Error).message}; retrying one by one`);
      const failed: [string, string[]][] = [];
      let lastError = error as Error;
      for (const entry of entries) {
        try {
          await this.runHandlers([entry]);
          await this.ack([entry]);
        } catch (single) {
          lastError = single as Error;
          failed.push(rows.find(([id]) => id === entry.entryId)!);
        }
      }
      // Failed entries stay pending (retried after STREAM_CLAIM_IDLE_MS) until they run out of attempts.
      await this.deadLetterExhausted(failed, lastError.message);
    }
  }

  /** Adds a handler at run time, after the others (tests observe processing this way). */
  addHandler(handler: StreamEventHandler): void {
    this.handlers.push(handler);
  }

  /** Runs every handler over events already processed, as a re-delivery after a crash would (tests prove idempotence with it). */
  async handleAgain(events: StreamEntry['event'][]): Promise<void> {
    for (const handler of this.handlers) await handler.handle(events);
  }

  handlerNames(): string[] {
    return this.handlers.map((h) => h.name);
  }

  private async runHandlers(entries: StreamEntry[]): Promise<void> {
    const events = entries.map((e) => e.event);
    for (const handler of this.handlers) await handler.handle(events);
  }

  private async ack(entries: StreamEntry[]): Promise<void> {
    await this.redis.xack(this.keys.eventStream(), FANOUT_GROUP, ...entries.map((e) => e.entryId));
    this.stats.processed += entries.length;
    this.metrics?.streamEntries.inc({ action: 'processed' }, entries.length);
  }

  /** Moves entries delivered STREAM_MAX_DELIVERIES times or more to the dead-event stream and acks them. */
  private async deadLetterExhausted(rows: [string, string[]][], reason: string): Promise<void> {
    if (rows.length === 0) return;
    const pending = (await this.redis.xpending(
      this.keys.eventStream(), FANOUT_GROUP, rows[0][0], rows[rows.length - 1][0], 10_000, this.consumerName,
    )) as [string, string, number, number][];
    const exhausted = new Set(
      pending.filter(([, , , deliveries]) => deliveries >= this.config.stream.maxDeliveries).map(([id]) => id),
    );
    if (exhausted.size) await this.deadLetter(rows.filter(([id]) => exhausted.has(id)), reason);
  }

  /** Copies the entries (their original fields) to the dead-event stream, then acks them, atomically. */
  private async deadLetter(rows: [string, string[]][], reason: string): Promise<void> {
    const tx = this.redis.multi();
    for (const [entryId, fields] of rows) {
      tx.xadd(this.keys.deadEventStream(), 'MAXLEN', '~', 100_000, '*',
        'entryId', entryId, 'reason', reason.slice(0, 500), ...(fields ?? []));
    }
    tx.xack(this.keys.eventStream(), FANOUT_GROUP, ...rows.map(([id]) => id));
    await tx.exec();
    this.stats.deadLettered += rows.length;
    this.metrics?.streamEntries.inc({ action: 'dead_lettered' }, rows.length);
    this.logger.error(`moved ${rows.length} stream entries to ${this.keys.deadEventStream()}: ${reason}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Orders two stream ids `<ms>-<seq>` (numbers, not strings: "10-0" comes after "9-0"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
