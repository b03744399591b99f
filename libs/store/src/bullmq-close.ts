import type { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { closeHandler } from 'ioredis/built/redis/event_handler';

/** How often a closing queue or worker's connections are checked for the stuck state below. */
const UNSTICK_EVERY_MS = 50;

/**
 * The longest any queue or worker may take to close. Every one closes in the same shutdown phase, so
 * this is also about the longest a whole shutdown waits for BullMQ: below the 20 s after which a hub
 * process exits regardless (SHUTDOWN_GRACE_MS, apps/gateway/src/main.ts), leaving time to log.
 */
export const BULLMQ_CLOSE_MAX_MS = 15_000;

/**
 * Closes a BullMQ queue or worker, within `graceMs`.
 *
 * - ioredis ignores disconnect() on a client that is waiting to reconnect (after Redis answered BUSY
 *   to a blocking read, or went away): it clears the reconnect timer but, with no socket to close,
 *   never ends the client (redis/ioredis#1247; the fix proposed upstream is redis/ioredis#2169). BullMQ's
 *   close() waits for that end (taskforcesh/bullmq#4656), and nothing is left to bring it. While
 *   closing, such a client is ended here the way that fix does it.
 * - Whatever else holds close() up past `graceMs` (a Redis that stopped answering), the connections
 *   are dropped without waiting and 'dropped' is returned. A job cut off this way keeps its lock
 *   until it lapses; BullMQ's stalled check then gives it to another worker, so it still runs at
 *   least once, as after a crash.
 */
export async function closeWithin(instance: Queue | Worker, graceMs: number): Promise<'closed' | 'dropped'> {
  // Each connection on its own: one that never finishes connecting must not hide the other.
  const backend = instance.getBackend();
  const connections: (Redis | undefined)[] = [];
  [backend.client, backend.blockingClient].forEach((client, i) =>
    client?.then(
      (redis) => (connections[i] = redis as unknown as Redis),
      () => undefined,
    ),
  );
  const unstick = setInterval(() => connections.forEach(endIfStuck), UNSTICK_EVERY_MS);
  let timer: NodeJS.Timeout | undefined;
  try {
    const closed = instance.close().then(
      () => 'closed' as const,
      () => 'closed' as const,
    );
    const outcome = await Promise.race([closed, new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)))]);
    if (outcome === 'closed') return outcome;
    // On a Redis Cluster the main connection is the Cluster that QueueConnection shares with every
    // queue and worker (and closes itself); only the worker's own blocking duplicate is dropped.
    const [main, blocking] = connections;
    for (const redis of [main && !main.isCluster ? main : undefined, blocking]) {
      redis?.disconnect();
      endIfStuck(redis);
    }
    return 'dropped';
  } finally {
    clearInterval(unstick);
    clearTimeout(timer);
  }
}

/**
 * A client told to disconnect while it waited to reconnect: ended, as ioredis would once it had a
 * socket. Only a single-node client has that state machine; a Cluster is left to its own disconnect.
 */
function endIfStuck(redis: Redis | undefined): void {
  if (!redis || redis.isCluster) return;
  if (redis.status === 'reconnecting' && (redis as unknown as { manuallyClosing?: boolean }).manuallyClosing) closeHandler(redis)();
}
