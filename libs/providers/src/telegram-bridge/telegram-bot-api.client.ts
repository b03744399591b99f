import { Injectable } from '@nestjs/common';
import { request } from 'undici';
import { HubConfig } from '@hub/config';

export class TelegramApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** `parameters.retry_after` of a 429: seconds Telegram asks us to wait. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;

/**
 * The few Bot API methods the approval workflow calls (sendMessage, editMessageText,
 * answerCallbackQuery), at TELEGRAM_API_URL. The token is part of the URL, so no error message or
 * log line ever carries the URL; errors carry only Telegram's status and description.
 */
@Injectable()
export class TelegramBotApiClient {
  constructor(private readonly config: HubConfig) {}

  get configured(): boolean {
    return this.config.telegram.botToken !== undefined;
  }

  /** Calls a method once; the telegram queue retries what is worth retrying (TelegramCallsProcessor). */
  async call<T = unknown>(method: string, params: Record<string, unknown>): Promise<T> {
    const token = this.config.telegram.botToken;
    if (!token) throw new TelegramApiError('TELEGRAM_BOT_TOKEN is not set');
    return this.once<T>(`${this.config.telegram.apiUrl}/bot${token}/${method}`, method, params);
  }

  private async once<T>(url: string, method: string, params: Record<string, unknown>): Promise<T> {
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      // undici's messages can name the URL, and the URL holds the token: keep only the error's kind.
      throw new TelegramApiError(`Telegram ${method} unreachable (${(error as { code?: string }).code ?? (error as Error).name})`);
    }
    const text = await response.body.text();
    let body: { ok?: boolean; result?: T; description?: string; parameters?: { retry_after?: number } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // A proxy's HTML error page: reported by status only.
    }
    if (response.statusCode >= 300 || body.ok !== true) {
      const description = typeof body.description === 'string' ? body.description.slice(0, 200) : `HTTP ${response.statusCode}`;
      throw new TelegramApiError(`Telegram ${method}: ${description}`, response.statusCode, body.parameters?.retry_after);
    }
    return body.result as T;
  }
}
