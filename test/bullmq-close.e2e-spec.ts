import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { closeWithin } from '@hub/store';
import { uniquePrefix, waitFor } from './utils/hub-test-app';
import { DedicatedRedis } from './utils/redis-server';

/**
 * closeWithin, the delivery workers' and queues' shutdown: a close that cannot finish (here: Redis
 * frozen, so nothing is answered) must not hold the process, and a healthy close is left alone.
 */
describe('closeWithin: BullMQ shutdown bounded by a grace period', () => {
  const server = new DedicatedRedis(['--appendonly', 'no']);
  let url: string;

  beforeAll(async () => {
    url = (await server.start()).url;
  });
  afterAll(async () => {
    await server.stop();
  });

  const startPair = async (suite: string): Promise<{ queue: Queue; worker: Worker; processed: string[] }> => {
    const prefix = uniquePrefix(suite);
    const processed: string[] = [];
    const connection = { url, maxRetriesPerRequest: null };
    const queue = new Queue('close-test', { connection, prefix });
    const worker = new Worker('close-test', async (job) => void processed.push(String(job.data.n)), { connection, prefix, concurrency: 2 });
    worker.on('error', () => undefined);
    queue.on('error', () => undefined);
    await worker.waitUntilReady();
    await queue.add('job', { n: 1 });
    expect(await waitFor(async () => processed.length === 1, 15_000)).toBe(true);
    return { queue, worker, processed };
  };

  it('closes a healthy worker and queue normally', async () => {
    const { queue, worker } = await startPair('close-healthy');
    expect(await closeWithin(worker, 15_000)).toBe('closed');
    expect(await closeWithin(queue, 15_000)).toBe('closed');
  });

  it('drops the connections of a worker and a queue whose Redis stopped answering, leaving no reconnect behind', async () => {
    const { queue, worker } = await startPair('close-frozen');
    const clients = [await worker.getBackend().client, await worker.getBackend().blockingClient!, await queue.getBackend().client] as unknown as Redis[];
    server.pause();
    try {
      const outcomes = await Promise.all([closeWithin(worker, 1_000), closeWithin(queue, 1_000)]);
      expect(outcomes).toEqual(['dropped', 'dropped']);
      // disconnect() ends each client for good: no reconnect timer keeps the process alive.
      expect(await waitFor(async () => clients.every((client) => client.status === 'end'), 15_000)).toBe(true);
    } finally {
      server.resume();
    }
  });

  it('ends a connection that was waiting to reconnect when close() began, so close() finishes instead of waiting out the grace', async () => {
    const { queue, worker } = await startPair('close-reconnecting');
    const clients = [await worker.getBackend().client, await worker.getBackend().blockingClient!] as unknown as Redis[];
    await server.kill();
    // ioredis retries with a delay: the state in which its disconnect() never ends the client.
    expect(await waitFor(async () => clients.every((client) => client.status === 'reconnecting'), 15_000)).toBe(true);
    expect(await closeWithin(worker, 20_000)).toBe('closed');
    expect(clients.map((client) => client.status)).toEqual(['end', 'end']);
    await closeWithin(queue, 1_000);
  });
});
