import type Redis from 'ioredis';

export interface ConsumerGroupProgress {
  group: string;
  /** Entries the group has not read yet. */
  unread: number;
  /** Entries read but not acknowledged (in processing, or left by a dead consumer). */
  pending: number;
  consumers: number;
}

/**
 * How far each consumer group of a stream is behind: unread entries (Redis 7's `lag`, or counted
 * up to `countUpTo` when Redis cannot tell after deletions) and pending ones. One XINFO plus, rarely,
 * a bounded XRANGE per group.
 */
export async function consumerGroupProgress(redis: Redis, stream: string, countUpTo = 100_000): Promise<ConsumerGroupProgress[]> {
  let groups: (string | number | null)[][];
  try {
    groups = (await redis.xinfo('GROUPS', stream)) as (string | number | null)[][];
  } catch (error) {
    if (/no such key/i.test((error as Error).message)) return [];
    throw error;
  }
  const progress: ConsumerGroupProgress[] = [];
  for (const row of groups) {
    const info: Record<string, string | number | null> = {};
    for (let i = 0; i < row.length; i += 2) info[String(row[i])] = row[i + 1];
    let unread = info.lag === null || info.lag === undefined ? undefined : Number(info.lag);
    if (unread === undefined) {
      const after = String(info['last-delivered-id'] ?? '0-0');
      unread = ((await redis.xrange(stream, `(${after}`, '+', 'COUNT', countUpTo)) as unknown[]).length;
    }
    progress.push({ group: String(info.name), unread, pending: Number(info.pending ?? 0), consumers: Number(info.consumers ?? 0) });
  }
  return progress;
}

/** Entries in all the given streams (the partitions of the event stream). */
export async function totalLength(redis: Redis, streams: string[]): Promise<number> {
  const lengths = await Promise.all(streams.map((stream) => redis.xlen(stream)));
  return lengths.reduce((a, b) => a + b, 0);
}
