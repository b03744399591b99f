import { ConflictException, HttpException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { APPROVAL_DECIDED, APPROVAL_EXPIRED, APPROVAL_REQUESTED, ApprovalActor, ApprovalReplyOutcome, ApprovalsService, describeActor } from '@hub/approvals';
import { HubConfig } from '@hub/config';
import { DomainEvent, StreamEventHandler, StreamHandler, isRedisUnavailableError } from '@hub/store';
import { ApprovalReply, TelegramUser, decisionInText, parseBridgeResponse, parseCallbackData, telegramActor } from './approval-replies';
import { TelegramCalls } from './telegram-calls.queue';

/**
 * Approvals decided from Telegram, in the worker:
 * - with TELEGRAM_BOT_TOKEN and TELEGRAM_APPROVAL_CHAT_ID, each `hub.approval.requested` is sent to
 *   that chat with Approve / Reject buttons, and the message is edited once decided or expired;
 * - a Bot API `callback_query` pressed in that chat decides the approval (then answerCallbackQuery,
 *   so the button stops spinning);
 * - so does a text reply (approve / reject) to the request message in that chat;
 * - a CCTelegram `user_response` decides it by `callback_data`, or by a reply text (approve / deny)
 *   whose `response.event_id` is the approval id.
 * Bot API calls go through the telegram queue (retried, never holding up the stream); a decision is
 * made here, before the entry is acknowledged, and a re-run meets the recorded one (409) and stops.
 */
@Injectable()
@StreamHandler()
export class TelegramApprovalsHandler implements StreamEventHandler {
  readonly name = 'telegram-approvals';
  private readonly logger = new Logger(TelegramApprovalsHandler.name);

  constructor(
    private readonly approvals: ApprovalsService,
    private readonly calls: TelegramCalls,
    private readonly config: HubConfig,
  ) {}

  private get botEnabled(): boolean {
    return this.config.telegram.botToken !== undefined && this.config.telegram.approvalChatId !== undefined;
  }

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      const approvalId = (event.data as { approval_id?: unknown } | null)?.approval_id;
      if (event.source === 'hub' && typeof approvalId === 'string') {
        if (!this.botEnabled) continue;
        if (event.type === APPROVAL_REQUESTED) await this.calls.add({ kind: 'approval-request', approvalId });
        else if (event.type === APPROVAL_DECIDED || event.type === APPROVAL_EXPIRED) await this.calls.add({ kind: 'approval-decision', approvalId });
      } else if (event.type === 'telegram.callback_query') {
        await this.onCallbackQuery(event);
      } else if (event.type === 'telegram.message') {
        await this.onReplyMessage(event);
      } else if (event.type === 'cctelegram.user_response') {
        const response = (event.data as { response?: Parameters<typeof parseBridgeResponse>[0] & { user?: TelegramUser } } | null)?.response;
        const reply = parseBridgeResponse(response);
        if (reply) await this.decide(reply, telegramActor('cctelegram', response?.user));
      }
    }
  }

  private async onCallbackQuery(event: DomainEvent): Promise<void> {
    const query = (event.data as { callback_query?: { id?: unknown; data?: unknown; from?: TelegramUser; message?: { chat?: { id?: unknown } } } } | null)?.callback_query;
    const reply = parseCallbackData(query?.data);
    if (!query || !reply) return;
    const allowedChat = this.config.telegram.approvalChatId;
    const outcome: ApprovalReplyOutcome =
      allowedChat !== undefined && String(query.message?.chat?.id) !== allowedChat
        ? // Only buttons in the approval chat decide: a forwarded or copied button elsewhere does not.
          { decided: false, text: 'This chat cannot decide approvals.' }
        : await this.decide(reply, telegramActor('telegram', query.from));
    if (typeof query.id === 'string' && this.config.telegram.botToken) {
      await this.calls.add({ kind: 'callback-answer', callbackQueryId: query.id, text: outcome.text });
    }
  }

  /** A text reply to the request message, in the approval chat, decides like its buttons. */
  private async onReplyMessage(event: DomainEvent): Promise<void> {
    const message = (event.data as { message?: { text?: unknown; from?: TelegramUser; chat?: { id?: unknown }; reply_to_message?: { message_id?: unknown } } } | null)?.message;
    const repliedTo = message?.reply_to_message?.message_id;
    const allowedChat = this.config.telegram.approvalChatId;
    if (!message || typeof repliedTo !== 'number' || allowedChat === undefined || String(message.chat?.id) !== allowedChat) return;
    const decision = decisionInText(message.text);
    if (!decision) return;
    const approvalId = await this.approvals.findByTelegramMessage(allowedChat, repliedTo);
    if (approvalId) await this.decide({ approvalId, decision }, telegramActor('telegram', message.from));
  }

  /** Decides and says what happened; a refusal (already decided, expired, unknown) is an answer, not an error. */
  private async decide(reply: ApprovalReply, by: ApprovalActor): Promise<ApprovalReplyOutcome> {
    try {
      const decided = await this.approvals.decide(reply.approvalId, reply.decision, by);
      return { decided: true, text: decided.status === 'approved' ? 'Approved.' : 'Rejected.' };
    } catch (error) {
      if (isRedisUnavailableError(error) || !(error instanceof HttpException)) throw error;
      if (error instanceof ConflictException || error instanceof NotFoundException) {
        this.logger.log(`decision on ${reply.approvalId} by ${describeActor(by)} refused: ${error.message}`);
      }
      return { decided: false, text: error.message.slice(0, 200) };
    }
  }
}
