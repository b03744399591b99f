import { IncomingMessage, STATUS_CODES, ServerResponse } from 'node:http';
import { LocalHttpServer } from './local-http-server';

/** The bot user every answer speaks as (what `getMe` returns). */
export const FAKE_TELEGRAM_BOT_USER = {
  id: 123456,
  is_bot: true,
  first_name: 'Hub Test Bot',
  username: 'hub_test_bot',
} as const;

/** One call to `/bot<token>/<method>` as received, with the HTTP status it was answered with. */
export interface FakeTelegramCall {
  method: string;
  body: any;
  at: number;
  status: number;
}

type Fault = { kind: 'fail'; status: number } | { kind: 'retryAfter'; seconds: number };
type Answer = { status: number; body: unknown };

/** A Bot API chat id as Telegram echoes it: a number when numeric, else the string (`@channel`). */
function chatIdOf(value: unknown): number | string {
  if (typeof value === 'number') return value;
  const text = String(value);
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** A chat type as Telegram derives it from the id: `-100…` supergroup, other negatives group, else private. */
function chatTypeOf(id: number | string): string {
  if (typeof id === 'string') return 'private';
  if (id < 0) return String(id).startsWith('-100') ? 'supergroup' : 'group';
  return 'private';
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || String(value).trim() === '';
}

/** reply_markup may arrive as an object or as its JSON serialisation (both are accepted by Telegram). */
function replyMarkupOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const badRequest = (description: string): Answer => ({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${description}` } });

/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api) on a real loopback
 * port. Serves `/bot<token>/<method>` (POST with a JSON body; GET with query parameters also works)
 * for `getMe`, `sendMessage`, `editMessageText` and `answerCallbackQuery`, answering with the Bot
 * API envelope `{ok, result}` / `{ok:false, error_code, description}`. A wrong token answers 401, an
 * unknown method 404. Every call is kept in `calls`; `failNext` / `retryAfter` simulate outages.
 * Give the hub `url` as TELEGRAM_API_URL.
 */
export class FakeTelegramBotApi extends LocalHttpServer {
  readonly calls: FakeTelegramCall[] = [];
  /** Messages sent (and as edited since), by message_id. */
  readonly messages = new Map<number, any>();
  private nextMessageId = 100;
  private faults: Fault[] = [];

  constructor(readonly token = '123456:TEST-fake-bot-token') {
    super();
  }

  /** The base URL to give the hub as TELEGRAM_API_URL (`${url}/bot${token}/<method>`). */
  get url(): string {
    return this.origin;
  }

  /** The next `count` calls answer `status` with `{"ok":false,"error_code":status,"description":...}`. */
  failNext(count: number, status = 502): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind: 'fail', status });
  }

  /** The next call answers 429 with `parameters.retry_after = seconds`, as Telegram's flood control does. */
  retryAfter(seconds: number): void {
    this.faults.push({ kind: 'retryAfter', seconds });
  }

  /** The calls of one method, in arrival order (failed ones included; see `status`). */
  callsOf(method: string): FakeTelegramCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the first call of `method` (already received or arriving later) whose body
   * satisfies `predicate`; polls every 25 ms and throws, listing the calls seen, after `timeoutMs`.
   */
  async waitForCall(method: string, predicate: (body: any) => boolean = () => true, timeoutMs = 15_000): Promise<FakeTelegramCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find((c) => c.method === method && predicate(c.body));
      if (found) return found;
      if (Date.now() >= deadline) {
        const seen = this.calls.length
          ? this.calls.map((c) => `  ${c.method} -> ${c.status} ${JSON.stringify(c.body)}`).join('\n')
          : '  (none)';
        throw new Error(`FakeTelegramBotApi: no matching ${method} call within ${timeoutMs} ms. Calls seen so far:\n${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  protected handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const send = (answer: Answer) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    };
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
    if (!route) return send({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });

    const [, token, methodName] = route;
    const method = decodeURIComponent(methodName);
    let body: any = Object.fromEntries(url.searchParams);
    let parseError = false;
    if (raw.trim()) {
      try {
        const parsed: unknown = JSON.parse(raw);
        body = parsed !== null && typeof parsed === 'object' ? { ...body, ...parsed } : body;
      } catch {
        parseError = true;
        body = raw;
      }
    }
    const call: FakeTelegramCall = { method, body, at: Date.now(), status: 0 };
    this.calls.push(call);

    const answer = this.answer(token, method, body, parseError);
    call.status = answer.status;
    send(answer);
  }

  private answer(token: string, method: string, body: any, parseError: boolean): Answer {
    const fault = this.faults.shift();
    if (fault?.kind === 'fail') {
      const description = fault.status === 502 ? 'Bad Gateway' : (STATUS_CODES[fault.status] ?? 'Bad Gateway');
      return { status: fault.status, body: { ok: false, error_code: fault.status, description } };
    }
    if (fault?.kind === 'retryAfter') {
      return {
        status: 429,
        body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${fault.seconds}`, parameters: { retry_after: fault.seconds } },
      };
    }

    if (decodeURIComponent(token) !== this.token) return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    if (parseError) return badRequest("can't parse JSON object");

    // Bot API method names are case-insensitive.
    switch (method.toLowerCase()) {
      case 'getme':
        return { status: 200, body: { ok: true, result: { ...FAKE_TELEGRAM_BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } } };
      case 'sendmessage':
        return this.sendMessage(body);
      case 'editmessagetext':
        return this.editMessageText(body);
      case 'answercallbackquery':
        if (isMissing(body.callback_query_id)) return badRequest('query is too old and response timeout expired or query ID is invalid');
        return { status: 200, body: { ok: true, result: true } };
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    }
  }

  private sendMessage(body: any): Answer {
    if (isMissing(body.chat_id)) return badRequest('chat not found');
    if (isMissing(body.text)) return badRequest('message text is empty');
    const id = chatIdOf(body.chat_id);
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId++,
      from: { ...FAKE_TELEGRAM_BOT_USER },
      chat: { id, type: chatTypeOf(id) },
      date: Math.floor(Date.now() / 1000),
      text: String(body.text),
    };
    if (body.reply_markup !== undefined) message.reply_markup = replyMarkupOf(body.reply_markup);
    this.messages.set(message.message_id as number, message);
    return { status: 200, body: { ok: true, result: message } };
  }

  private editMessageText(body: any): Answer {
    if (isMissing(body.chat_id)) return badRequest('chat not found');
    if (isMissing(body.text)) return badRequest('message text is empty');
    const existing = this.messages.get(Number(body.message_id));
    const chatId = chatIdOf(body.chat_id);
    if (!existing || existing.chat.id !== chatId) return badRequest('message to edit not found');
    const edited: Record<string, unknown> = {
      ...existing,
      edit_date: Math.floor(Date.now() / 1000),
      text: String(body.text),
    };
    // Telegram drops the inline keyboard when an edit does not repeat it.
    if (body.reply_markup !== undefined) edited.reply_markup = replyMarkupOf(body.reply_markup);
    else delete edited.reply_markup;
    this.messages.set(edited.message_id as number, edited);
    return { status: 200, body: { ok: true, result: edited } };
  }
}

/** A stable, opaque per-chat value shaped like Telegram's chat_instance (a 19-digit decimal string). */
function chatInstanceOf(chatId: number | string): string {
  let hash = 7;
  for (const c of String(chatId)) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) >>> 0;
  return String(4_000_000_000_000_000_000n + BigInt(hash) * 1_000_003n);
}

/**
 * A Bot API Update carrying a `callback_query` (an inline-keyboard button press), as Telegram would
 * POST it to the hub's webhook. `message` is the bot's message the button belonged to.
 */
export function callbackQueryUpdate(opts: {
  updateId: number;
  callbackQueryId: string;
  data: string;
  fromId?: number;
  fromUsername?: string;
  firstName?: string;
  chatId: number | string;
  messageId: number;
  /** The text of the message the button was on. */
  messageText?: string;
}): object {
  const fromId = opts.fromId ?? 987654321;
  const firstName = opts.firstName ?? 'Test';
  const username = opts.fromUsername ?? 'test_user';
  const chatId = chatIdOf(opts.chatId);
  const type = chatTypeOf(chatId);
  const chat = type === 'private' ? { id: chatId, first_name: firstName, username, type } : { id: chatId, title: 'Test Group', type };
  return {
    update_id: opts.updateId,
    callback_query: {
      id: opts.callbackQueryId,
      from: { id: fromId, is_bot: false, first_name: firstName, username, language_code: 'en' },
      message: {
        message_id: opts.messageId,
        from: { ...FAKE_TELEGRAM_BOT_USER },
        chat,
        date: Math.floor(Date.now() / 1000) - 60,
        text: opts.messageText ?? 'Test message',
      },
      // An opaque, stable per-chat identifier in real updates.
      chat_instance: chatInstanceOf(chatId),
      data: opts.data,
    },
  };
}
