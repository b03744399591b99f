import { ConflictException, HttpException, Injectable, Logger, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import { APPROVAL_DECIDED, APPROVAL_ID_PATTERN, APPROVAL_REQUESTED, Approval, ApprovalActor, ApprovalDecisionKind, ApprovalsService, describeActor } from '@hub/approvals';
import { HubConfig } from '@hub/config';
import { DomainEvent, StreamEventHandler, StreamHandler, isRedisUnavailableError } from '@hub/store';
import { TelegramBotApiClient } from './telegram-bot-api.client';

/** `approve_<id>`, `reject_<id>` or the CCTelegram document's `deny_<id>` (64 bytes at most, as Telegram allows). */
const CALLBACK_DATA = /^(approve|reject|deny)_(apr_[0-9A-HJKMNP-TV-Z]{26})$/;

interface TelegramUser {
  id?: unknown;
  username?: unknown;
  first_name?: unknown;
  last_name?: unknown;
}

/**
 * Approvals decided from Telegram, in the worker:
 * - with TELEGRAM_BOT_TOKEN and TELEGRAM_APPROVAL_CHAT_ID, each `hub.approval.requested` is sent to
 *   that chat with Approve / Reject buttons, and the message is edited to show the decision;
 * - a Bot API `callback_query` pressed in that chat decides the approval (then answerCallbackQuery,
 *   so the button stops spinning);
 * - a CCTelegram `user_response` decides it by `callback_data`, or by a reply text containing
 *   approve / deny (reject) whose `response.event_id` is the approval id.
 * Bot API calls run beside the stream (never holding it up); they are best effort: a message lost to
 * a crash leaves the approval decidable through REST and MCP.
 */
@Injectable()
@StreamHandler()
export class TelegramApprovalsHandler implements StreamEventHandler, OnApplicationShutdown {
  readonly name = 'telegram-approvals';
  private readonly logger = new Logger(TelegramApprovalsHandler.name);
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly approvals: ApprovalsService,
    private readonly bot: TelegramBotApiClient,
    private readonly config: HubConfig,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (event.source === 'hub' && event.type === APPROVAL_REQUESTED) this.beside(() => this.sendRequest(event));
      else if (event.source === 'hub' && event.type === APPROVAL_DECIDED) this.beside(() => this.showDecision(event));
      else if (event.type === 'telegram.callback_query') await this.onCallbackQuery(event);
      else if (event.type === 'cctelegram.user_response') await this.onBridgeResponse(event);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs a Bot API call without holding up the stream consumer; failures are logged, never thrown. */
  private beside(work: () => Promise<unknown>): void {
    if (!this.bot.configured || !this.config.telegram.approvalChatId) return;
    const promise = work()
      .catch((error: Error) => this.logger.warn(`Telegram approval message: ${error.message}`))
      .finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }

  private async sendRequest(event: DomainEvent): Promise<void> {
    const approval = await this.approvalOf(event);
    if (!approval || approval.telegram || approval.status !== 'pending') return;
    if (!(await this.approvals.claimOnce(approval.id, 'telegram-request'))) return;
    const chatId = this.config.telegram.approvalChatId!;
    const message = await this.bot.call<{ message_id: number; chat: { id: number | string } }>('sendMessage', {
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
  }

  private async showDecision(event: DomainEvent): Promise<void> {
    let approval = await this.approvalOf(event);
    // The request message may still be on its way (sent beside the stream): give it a moment.
    for (let i = 0; i < 20 && approval && !approval.telegram; i++) {
      await sleep(250);
      approval = await this.approvals.find(approval.id);
    }
    if (!approval?.telegram || !approval.decision) return;
    if (!(await this.approvals.claimOnce(approval.id, 'telegram-decision'))) return;
    await this.bot.call('editMessageText', {
      chat_id: approval.telegram.chatId,
      message_id: approval.telegram.messageId,
      text: decisionText(approval),
    });
  }

  private async onCallbackQuery(event: DomainEvent): Promise<void> {
    const query = (event.data as { callback_query?: { id?: unknown; data?: unknown; from?: TelegramUser; message?: { chat?: { id?: unknown } } } })?.callback_query;
    const match = typeof query?.data === 'string' ? CALLBACK_DATA.exec(query.data) : null;
    if (!query || !match) return;
    const chatId = query.message?.chat?.id;
    const allowedChat = this.config.telegram.approvalChatId;
    let answer: string;
    if (allowedChat !== undefined && String(chatId) !== allowedChat) {
      // Only buttons in the approval chat decide: a forwarded or copied button elsewhere does not.
      answer = 'This chat cannot decide approvals.';
    } else {
      answer = await this.decide(match[2], match[1] === 'approve' ? 'approve' : 'reject', actorOf('telegram', query.from));
    }
    if (typeof query.id === 'string' && this.bot.configured) {
      if (await this.approvals.claimOnce(`${match[2]}:${query.id}`, 'telegram-answer')) {
        this.beside(() => this.bot.call('answerCallbackQuery', { callback_query_id: query.id, text: answer.slice(0, 200) }));
      }
    }
  }

  private async onBridgeResponse(event: DomainEvent): Promise<void> {
    const response = (event.data as { response?: { event_id?: unknown; callback_data?: unknown; user?: TelegramUser; message?: { text?: unknown } } })?.response;
    if (!response) return;
    const byButton = typeof response.callback_data === 'string' ? CALLBACK_DATA.exec(response.callback_data) : null;
    let id: string | undefined;
    let decision: ApprovalDecisionKind | undefined;
    if (byButton) {
      id = byButton[2];
      decision = byButton[1] === 'approve' ? 'approve' : 'reject';
    } else if (typeof response.event_id === 'string' && APPROVAL_ID_PATTERN.test(response.event_id) && typeof response.message?.text === 'string') {
      // The document's rule: a reply containing "approve" approves; "deny" or "reject" rejects; anything else decides nothing.
      const text = response.message.text.toLowerCase();
      id = response.event_id;
      decision = text.includes('approve') && !text.includes('disapprove') ? 'approve' : /\b(deny|denied|reject)/.test(text) ? 'reject' : undefined;
    }
    if (!id || !decision) return;
    await this.decide(id, decision, actorOf('cctelegram', response.user));
  }

  /** Decides and says what happened; a refusal (already decided, expired, unknown) is an answer, not an error. */
  private async decide(id: string, decision: ApprovalDecisionKind, by: ApprovalActor): Promise<string> {
    try {
      const decided = await this.approvals.decide(id, decision, by);
      return decided.status === 'approved' ? 'Approved.' : 'Rejected.';
    } catch (error) {
      if (isRedisUnavailableError(error)) throw error;
      if (error instanceof ConflictException || error instanceof NotFoundException) {
        this.logger.log(`Telegram decision on ${id} by ${describeActor(by)} refused: ${error.message}`);
        return error.message.slice(0, 200);
      }
      if (error instanceof HttpException) return error.message.slice(0, 200);
      throw error;
    }
  }

  private approvalOf(event: DomainEvent): Promise<Approval | null> {
    const id = (event.data as { approval_id?: unknown } | null)?.approval_id;
    return typeof id === 'string' ? this.approvals.find(id) : Promise.resolve(null);
  }
}

function actorOf(channel: string, user: TelegramUser | undefined): ApprovalActor {
  const id = typeof user?.id === 'number' || typeof user?.id === 'string' ? String(user.id) : undefined;
  const name = typeof user?.username === 'string' ? user.username : typeof user?.first_name === 'string' ? user.first_name : undefined;
  return { channel, ...(id ? { id } : {}), ...(name ? { name: name.slice(0, 64) } : {}) };
}

function requestText(approval: Approval): string {
  return [
    `Approval needed: ${approval.summary}`,
    `Action: ${approval.action}`,
    `Requested by: ${describeActor(approval.requestedBy)}`,
    `Expires: ${approval.expiresAt}`,
    `Id: ${approval.id}`,
  ].join('\n');
}

function decisionText(approval: Approval): string {
  const d = approval.decision!;
  const mark = approval.status === 'approved' ? '✅ Approved' : '❌ Rejected';
  return [`${mark} by ${describeActor(d.by)} at ${d.at}${d.reason ? ` (${d.reason})` : ''}`, approval.summary, `Id: ${approval.id}`].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
