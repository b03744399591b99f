import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { HubMetrics } from '@hub/observability';
import { REDIS_CLIENT, RedisKeys, STREAM_EVENT_HANDLERS, compareStreamIds, duplicateClient, StreamEntry, StreamEventHandler, entryToStreamEntry, isRedisUnavailableError } from '@hub/store';

export const FANOUT_GROUP = 'fanout';

/** How often a consumer says it is alive, and how long the sign lasts (stalls of a few seconds are normal here). */
const HEARTBEAT_EVERY_MS = 2_000;
const HEARTBEAT_TTL_MS = 10_000;

type StreamReply = [string, [string, string[]][]][] | null;

/** One partition of the event stream, as this consumer reads it. */
interface Partition {
  index: number;
  stream: string;
  dead: string;
  blocking?: Redis;
  lastClaimAt: number;
  lastTrimAt: number;
  /** Entries over its share of EVENT_STREAM_MAXLEN at the last trim. */
  overCap: number;
}

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
  private partitions: Partition[] = [];
  private running = false;
  private loop?: Promise<void>;
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
    this.partitions = this.keys.partitionIds.map((index) => ({
      index,
      stream: this.keys.eventStream(index),
      dead: this.keys.deadEventStream(index),
      // A blocking XREADGROUP needs its own connection, one that waits out Redis restarts (one per
      // partition: on a cluster each partition's stream may live on another node).
      blocking: duplicateClient(this.redis, {
        connectionName: `${this.config.prefix}:stream-consumer`,
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        commandTimeout: undefined,
      }),
      lastClaimAt: 0,
      lastTrimAt: 0,
      overCap: 0,
    }));
    for (const part of this.partitions) part.blocking!.on('error', () => undefined);
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
    this.running = true;
    this.loop = Promise.all(this.partitions.map((part) => this.run(part))).then(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    clearInterval(this.heartbeat);
    for (const part of this.partitions) part.blocking?.disconnect();
    await this.loop;
    // A clean exit hands over at once: what this consumer still holds is taken over by the next sweep.
    await this.redis.del(this.keys.consumerHeartbeat(this.consumerName)).catch(() => undefined);
  }

  private beat(): void {
    this.redis.set(this.keys.consumerHeartbeat(this.consumerName), String(Date.now()), 'PX', HEARTBEAT_TTL_MS)
      .catch(() => undefined); // Redis down: nobody can take over meanwhile either.
  }

  /** One partition's loop: every worker reads every partition. */
  private async run(part: Partition): Promise<void> {
    let started = false;
    while (this.running) {
      try {
        if (!started) {
          await this.ensureGroup(part);
          // Entries this consumer name left pending before a restart; later retries wait for the idle time.
          await this.processPending(part);
          started = true;
        }
        if (Date.now() - part.lastClaimAt >= Math.min(this.config.stream.claimIdleMs, HEARTBEAT_EVERY_MS)) {
          part.lastClaimAt = Date.now();
          await this.takeOverDeadConsumers(part);
          await this.reclaimStale(part);
        }
        if (Date.now() - part.lastTrimAt >= 5_000) await this.trimBehindGroups(part);
        await this.readNew(part);
      } catch (error) {
        if (!this.running) break;
        this.stats.failedBatches++;
        this.logger.warn(`stream consumer${this.partitions.length > 1 ? ` (partition ${part.index})` : ''}: ${(error as Error).message}; retrying in 1 s`);
        await sleep(1_000);
      }
    }
  }

  /** Creates the group at the start of the stream, so events stored before any worker ran are processed. */
  private async ensureGroup(part: Partition): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', part.stream, FANOUT_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  private async readNew(part: Partition): Promise<void> {
    const reply = (await part.blocking!.xreadgroup(
      'GROUP', FANOUT_GROUP, this.consumerName,
      'COUNT', this.config.stream.batchSize,
      'BLOCK', 1_000,
      'STREAMS', part.stream, '>',
    )) as StreamReply;
    const rows = reply?.[0]?.[1] ?? [];
    if (rows.length > 0) await this.processRows(part, rows);
  }

  private async processPending(part: Partition): Promise<void> {
    let after = '0';
    for (;;) {
      const reply = (await this.redis.xreadgroup(
        'GROUP', FANOUT_GROUP, this.consumerName,
        'COUNT', this.config.stream.batchSize,
        'STREAMS', part.stream, after,
      )) as StreamReply;
      const rows = reply?.[0]?.[1] ?? [];
      if (rows.length === 0) return;
      after = rows[rows.length - 1][0];
      await this.processRows(part, rows.filter(([, fields]) => fields !== null));
    }
  }

  /**
   * Takes over everything pending at consumers without a heartbeat, and removes them from the group.
   * An entry is claimed only when it has been idle for the heartbeat's lifetime, so a consumer that
   * merely stalled briefly keeps what it is working on.
   */
  private async takeOverDeadConsumers(part: Partition): Promise<void> {
    const stream = part.stream;
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
        await this.processRows(part, live);
        if (pending.length < this.config.stream.batchSize) break;
      }
    }
  }

  private async reclaimStale(part: Partition): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, rows, deleted] = (await this.redis.xautoclaim(
        part.stream, FANOUT_GROUP, this.consumerName,
        this.config.stream.claimIdleMs, cursor, 'COUNT', this.config.stream.batchSize,
      )) as [string, [string, string[]][], string[]];
      if (deleted?.length) await this.redis.xack(part.stream, FANOUT_GROUP, ...deleted);
      const live = rows.filter(([, fields]) => fields !== null);
      if (live.length > 0) {
        this.stats.reclaimed += live.length;
        this.metrics?.streamEntries.inc({ action: 'reclaimed' }, live.length);
        this.logger.log(`reclaimed ${live.length} entries idle for over ${this.config.stream.claimIdleMs} ms`);
        await this.processRows(part, live);
      }
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  /**
   * Trims the stream only behind what every consumer group has acknowledged: by retention time, and
   * down to EVENT_STREAM_MAXLEN when it is longer. An entry a group still needs (pending, or not yet
   * read) is never dropped; when that keeps the stream over its cap, a warning says how far behind.
   */
  private async trimBehindGroups(part: Partition): Promise<void> {
    part.lastTrimAt = Date.now();
    const stream = part.stream;
    const groups = (await this.redis.xinfo('GROUPS', stream)) as (string | number | null)[][];
    let needed: string | undefined;
    for (const group of groups) {
      const info: Record<string, string | number | null> = {};
      for (let i = 0; i < group.length; i += 2) info[String(group[i])] = group[i + 1];
      const [pending, oldest] = (await this.redis.xpending(stream, String(info.name))) as [number, string | null];
      // The oldest entry this group may still need: its oldest pending one, else the last it read.
      const keep = Number(pending) > 0 && oldest ? oldest : String(info['last-delivered-id'] ?? '0-0');
      if (needed === undefined || compareStreamIds(keep, needed) < 0) needed = keep;
    }
    if (needed === undefined || needed === '0-0') return;
    const length = await this.redis.xlen(stream);
    // EVENT_STREAM_MAXLEN is for the whole stream: each partition keeps its share.
    const cap = Math.ceil(this.config.eventStreamMaxLen / this.partitions.length);
    const retentionCut = `${Math.max(0, Date.now() - this.config.eventRetentionSeconds * 1000)}-0`;
    // Over the cap, everything acknowledged may go; otherwise only what is past the retention.
    const cut = length > cap ? needed : compareStreamIds(retentionCut, needed) < 0 ? retentionCut : needed;
    const trimmed = Number(await this.redis.xtrim(stream, 'MINID', '~', cut));
    if (trimmed > 0) this.metrics?.streamEntries.inc({ action: 'trimmed' }, trimmed);
    part.overCap = Math.max(0, length - trimmed - cap);
    this.metrics?.streamOverCap.set(this.partitions.reduce((sum, p) => sum + p.overCap, 0));
    if (length - trimmed > cap * 1.1) {
      const where = this.partitions.length > 1 ? `partition ${part.index} of the event stream holds ${length - trimmed} entries (its share of EVENT_STREAM_MAXLEN: ${cap})` : `event stream holds ${length - trimmed} entries (EVENT_STREAM_MAXLEN ${cap})`;
      this.logger.warn(`${where}: workers have not acknowledged the newer ones yet, so none of them is trimmed`);
    }
  }

  private async processRows(part: Partition, rows: [string, string[]][]): Promise<void> {
    const entries: StreamEntry[] = [];
    const unreadable: [string, string[]][] = [];
    for (const row of rows) {
      try {
        entries.push(entryToStreamEntry(row[0], row[1]));
      } catch {
        unreadable.push(row);
      }
    }
    if (unreadable.length) await this.deadLetter(part, unreadable, 'unreadable entry');

    if (entries.length === 0) return;
    try {
      await this.runHandlers(entries);
      await this.ack(part, entries);
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
          await this.ack(part, [entry]);
        } catch (single) {
          lastError = single as Error;
          failed.push(rows.find(([id]) => id === entry.entryId)!);
        }
      }
      // Failed entries stay pending (retried after STREAM_CLAIM_IDLE_MS) until they run out of attempts.
      await this.deadLetterExhausted(part, failed, lastError.message);
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

  private async ack(part: Partition, entries: StreamEntry[]): Promise<void> {
    await this.redis.xack(part.stream, FANOUT_GROUP, ...entries.map((e) => e.entryId));
    this.stats.processed += entries.length;
    this.metrics?.streamEntries.inc({ action: 'processed' }, entries.length);
  }

  /** Moves entries delivered STREAM_MAX_DELIVERIES times or more to the dead-event stream and acks them. */
  private async deadLetterExhausted(part: Partition, rows: [string, string[]][], reason: string): Promise<void> {
    if (rows.length === 0) return;
    const pending = (await this.redis.xpending(
      part.stream, FANOUT_GROUP, rows[0][0], rows[rows.length - 1][0], 10_000, this.consumerName,
    )) as [string, string, number, number][];
    const exhausted = new Set(
      pending.filter(([, , , deliveries]) => deliveries >= this.config.stream.maxDeliveries).map(([id]) => id),
    );
    if (exhausted.size) await this.deadLetter(part, rows.filter(([id]) => exhausted.has(id)), reason);
  }

  /** Copies the entries (their original fields) to the dead-event stream, then acks them, atomically. */
  private async deadLetter(part: Partition, rows: [string, string[]][], reason: string): Promise<void> {
    const tx = this.redis.multi();
    for (const [entryId, fields] of rows) {
      tx.xadd(part.dead, 'MAXLEN', '~', 100_000, '*',
        'entryId', entryId, 'reason', reason.slice(0, 500), ...(fields ?? []));
    }
    tx.xack(part.stream, FANOUT_GROUP, ...rows.map(([id]) => id));
    await tx.exec();
    this.stats.deadLettered += rows.length;
    this.metrics?.streamEntries.inc({ action: 'dead_lettered' }, rows.length);
    this.logger.error(`moved ${rows.length} stream entries to ${part.dead}: ${reason}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
