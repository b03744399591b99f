import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Worker } from 'bullmq';
import { BULLMQ_CLOSE_MAX_MS, closeWithin } from '@hub/store';

/**
 * Bounds the close of every worker a module runs through @nestjs/bullmq (`@Processor` classes).
 * That package's own shutdown hook awaits `worker.close()` without a bound, and close() can hang on a
 * connection ioredis never ends (see closeWithin). Closing starts here, before any shutdown hook
 * runs, so the package's hook then waits on the same close, which closeWithin ends within
 * BULLMQ_CLOSE_MAX_MS; it is awaited in the same phase as the delivery workers' own close. A job cut
 * off is retried once its lock lapses (at least once).
 */
@Injectable()
export class BullProcessorsShutdown implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(BullProcessorsShutdown.name);
  private closing: Promise<'closed' | 'dropped'>[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  beforeApplicationShutdown(): void {
    this.closing = this.workers().map((worker) => closeWithin(worker, BULLMQ_CLOSE_MAX_MS));
  }

  async onApplicationShutdown(): Promise<void> {
    const dropped = (await Promise.all(this.closing)).filter((outcome) => outcome === 'dropped').length;
    if (dropped > 0) this.logger.warn(`${dropped} queue worker(s) did not close within ${BULLMQ_CLOSE_MAX_MS} ms; their connections were dropped`);
  }

  private workers(): Worker[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost)
      .flatMap((host) => {
        try {
          return [host.worker];
        } catch {
          return []; // Shut down before @nestjs/bullmq created it: nothing to close.
        }
      });
  }
}
