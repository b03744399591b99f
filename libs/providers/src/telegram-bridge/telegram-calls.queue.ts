import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { MinimalJob, Queue } from 'bullmq';

/** Bot API calls the approval workflow makes, as BullMQ jobs: retried with backoff, kept across restarts. */
export const TELEGRAM_QUEUE = 'telegram';

export type TelegramCall =
  | { kind: 'approval-request'; approvalId: string }
  | { kind: 'approval-decision'; approvalId: string }
  | { kind: 'callback-answer'; callbackQueryId: string; text: string };

/** A Bot API refusal worth a retry after the wait Telegram asked for (429 retry_after). */
export class TelegramRetryError extends Error {
  constructor(message: string, readonly delayMs: number) {
    super(message);
    this.name = 'TelegramRetryError';
  }
}

/** Backoff `telegram`: Telegram's own retry_after when it gave one, else 2 s doubling up to 5 min. */
export function telegramBackoff(attemptsMade: number, _type: string | undefined, error: Error | undefined, _job?: MinimalJob): number {
  if (error instanceof TelegramRetryError) return error.delayMs;
  return Math.min(2_000 * 2 ** Math.max(0, attemptsMade - 1), 300_000);
}

/**
 * Producer side. Job ids derive from the approval (or the callback query), so a stream entry handled
 * twice adds each call once. A callback answer is worth little after Telegram's ~15 s spinner, so it
 * gets few attempts.
 */
@Injectable()
export class TelegramCalls {
  private readonly logger = new Logger(TelegramCalls.name);

  constructor(@InjectQueue(TELEGRAM_QUEUE) private readonly queue: Queue<TelegramCall>) {
    queue.on('error', (error: Error) => this.logger.warn(`telegram queue: ${error.message}`));
  }

  async add(call: TelegramCall): Promise<void> {
    const id = call.kind === 'callback-answer' ? `callback-answer-${call.callbackQueryId}` : `${call.kind}-${call.approvalId}`;
    const attempts = call.kind === 'callback-answer' ? 3 : 10;
    await this.queue.add(call.kind, call, { jobId: id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 200), attempts, backoff: { type: 'telegram' } });
  }

  /** Whether the request message of an approval is still to be sent (queued, delayed or retrying). */
  async requestPending(approvalId: string): Promise<boolean> {
    const state = await this.queue.getJobState(`approval-request-${approvalId}`);
    return state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children';
  }
}
