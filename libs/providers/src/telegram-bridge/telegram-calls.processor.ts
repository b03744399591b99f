import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { Approval, ApprovalsService, describeActor } from '@hub/approvals';
import { HubConfig } from '@hub/config';
import { TelegramApiError, TelegramBotApiClient } from './telegram-bot-api.client';
import { TELEGRAM_QUEUE, TelegramCall, TelegramCalls, TelegramRetryError, telegramBackoff } from './telegram-calls.queue';

/**
 * Makes the Bot API calls of the approval workflow (worker only): the request with Approve / Reject
 * buttons, the edit that shows the decision, the answer that stops a button spinning. A call that
 * Telegram refuses for good (400, 401, 403, 404) is not retried; network errors, 5xx and 429 are.
 * A crash after Telegram accepted a message but before it was recorded can send it twice: Telegram
 * offers no idempotency key, so at-least-once is the best a sender can do.
 */
@Injectable()
// runRetryDelay: after a Redis error BullMQ waits 15 s by default before fetching again (and before closing).
@Processor(TELEGRAM_QUEUE, { concurrency: 4, runRetryDelay: 1_000, settings: { backoffStrategy: telegramBackoff } })
export class TelegramCallsProcessor extends WorkerHost {
  private readonly logger = new Logger(TelegramCallsProcessor.name);

  constructor(
    private readonly bot: TelegramBotApiClient,
    private readonly approvals: ApprovalsService,
    private readonly calls: TelegramCalls,
    private readonly config: HubConfig,
  ) {
    super();
  }

  async process(job: Job<TelegramCall>): Promise<unknown> {
    const call = job.data;
    try {
      switch (call.kind) {
        case 'approval-request':
          return await this.sendRequest(call.approvalId);
        case 'approval-decision':
          return await this.showDecision(call.approvalId);
        case 'callback-answer':
          return await this.bot.call('answerCallbackQuery', { callback_query_id: call.callbackQueryId, text: call.text.slice(0, 200) });
      }
    } catch (error) {
      if (error instanceof TelegramApiError && error.status !== undefined) {
        if (error.status === 429) throw new TelegramRetryError(error.message, Math.min((error.retryAfterSeconds ?? 5) * 1000, 300_000));
        if (error.status < 500) throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<TelegramCall> | undefined, error: Error): void {
    if (job && (error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1))) {
      this.logger.warn(`Telegram ${job.data.kind} gave up: ${error.message}`);
    }
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`telegram worker: ${error.message}`);
  }

  private async sendRequest(approvalId: string): Promise<unknown> {
    const chatId = this.config.telegram.approvalChatId;
    const approval = await this.approvals.find(approvalId);
    if (!chatId || !approval || approval.telegram || approval.status !== 'pending') return { skipped: true };
    const message = await this.bot.call<{ message_id: number; chat?: { id: number | string } }>('sendMessage', {
      chat_id: chatId,
      text: requestText(approval),
      reply_markup: {
        inline_keyboard: [[
          { text: 'Approve', callback_data: `approve_${approval.id}` },
          { text: 'Reject', callback_data: `reject_${approval.id}` },
        ]],
      },
    });
    await this.approvals.recordTelegramMessage(approval.id, { chatId: String(message.chat?.id ?? chatId), messageId: message.message_id });
    return { messageId: message.message_id };
  }

  private async showDecision(approvalId: string): Promise<unknown> {
    const approval = await this.approvals.find(approvalId);
    if (!approval || (!approval.decision && approval.status !== 'expired')) return { skipped: true };
    if (!approval.telegram) {
      // Decided before its request message went out: wait for it (a retry), unless none is coming.
      if (await this.calls.requestPending(approvalId)) throw new TelegramRetryError('the request message is not sent yet', 1_000);
      return { skipped: true };
    }
    await this.bot.call('editMessageText', { chat_id: approval.telegram.chatId, message_id: approval.telegram.messageId, text: decisionText(approval) });
    return { edited: approval.telegram.messageId };
  }
}

export function requestText(approval: Approval): string {
  return [
    `Approval needed: ${approval.summary}`,
    `Action: ${approval.action}`,
    `Requested by: ${describeActor(approval.requestedBy)}`,
    `Expires: ${approval.expiresAt}`,
    `Id: ${approval.id}`,
  ].join('\n');
}

export function decisionText(approval: Approval): string {
  const d = approval.decision;
  if (!d) return [`⌛ Expired at ${approval.expiresAt} undecided; it will never run`, approval.summary, `Id: ${approval.id}`].join('\n');
  const mark = approval.status === 'approved' ? '✅ Approved' : '❌ Rejected';
  return [`${mark} by ${describeActor(d.by)} at ${d.at}${d.reason ? ` (${d.reason})` : ''}`, approval.summary, `Id: ${approval.id}`].join('\n');
}
