import type { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { closeHandler } from 'ioredis/built/redis/event_handler';

/** How often a closing queue or worker's connections are checked for the stuck state below. */
const UNSTICK_EVERY_MS = 50;

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
  const clients = connectionsOf(instance);
  const unstick = setInterval(
    () =>
      void clients.then(({ main, blocking }) => {
        endIfStuck(main);
        endIfStuck(blocking);
      }),
    UNSTICK_EVERY_MS,
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const closed = instance.close().then(
      () => 'closed' as const,
      () => 'closed' as const,
    );
    const outcome = await Promise.race([closed, new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)))]);
    if (outcome === 'closed') return outcome;
    // Not awaited: a client that never connected never resolves, and there is nothing to wait for.
    // On a Redis Cluster the main connection is the Cluster that QueueConnection shares with every
    // queue and worker (and closes itself); only the worker's own blocking duplicate is dropped.
    void clients.then(({ main, blocking }) => {
      for (const redis of [main && !main.isCluster ? main : undefined, blocking]) {
        redis?.disconnect();
        endIfStuck(redis);
      }
    });
    return 'dropped';
  } finally {
    clearInterval(unstick);
    clearTimeout(timer);
  }
}

/** The instance's connections: its main one, and the blocking one a worker has. */
async function connectionsOf(instance: Queue | Worker): Promise<{ main?: Redis; blocking?: Redis }> {
  const backend = instance.getBackend();
  const [main, blocking] = await Promise.all([backend.client, backend.blockingClient].map((client) => client?.catch(() => undefined)));
  return { main: main as unknown as Redis | undefined, blocking: blocking as unknown as Redis | undefined };
}

/**
 * A client told to disconnect while it waited to reconnect: ended, as ioredis would once it had a
 * socket. Only a single-node client has that state machine; a Cluster is left to its own disconnect.
 */
function endIfStuck(redis: Redis | undefined): void {
  if (!redis || redis.isCluster) return;
  if (redis.status === 'reconnecting' && (redis as unknown as { manuallyClosing?: boolean }).manuallyClosing) closeHandler(redis)();
}
