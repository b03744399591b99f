import { APPROVAL_ID_PATTERN, ApprovalActor, ApprovalDecisionKind } from '@hub/approvals';

/** `approve_<id>`, `reject_<id>` or the CCTelegram document's `deny_<id>` (64 bytes at most, as Telegram allows). */
const CALLBACK_DATA = /^(approve|reject|deny)_(apr_[0-9A-HJKMNP-TV-Z]{26})$/;

export interface ApprovalReply {
  approvalId: string;
  decision: ApprovalDecisionKind;
}

export interface TelegramUser {
  id?: unknown;
  username?: unknown;
  first_name?: unknown;
}

/** The decision a button's callback_data carries, or null for buttons of other flows. */
export function parseCallbackData(data: unknown): ApprovalReply | null {
  const match = typeof data === 'string' ? CALLBACK_DATA.exec(data) : null;
  return match ? { approvalId: match[2], decision: match[1] === 'approve' ? 'approve' : 'reject' } : null;
}

/**
 * The decision in a CCTelegram `user_response`: its callback_data, or else (the document's rule) a
 * reply text containing "approve" approves and one containing "deny" / "reject" rejects, about the
 * approval named by `response.event_id`. Anything else ("Review") decides nothing.
 */
export function parseBridgeResponse(response: { event_id?: unknown; callback_data?: unknown; message?: { text?: unknown } } | undefined): ApprovalReply | null {
  if (!response) return null;
  const byButton = parseCallbackData(response.callback_data);
  if (byButton) return byButton;
  if (typeof response.event_id !== 'string' || !APPROVAL_ID_PATTERN.test(response.event_id)) return null;
  const decision = decisionInText(response.message?.text);
  return decision ? { approvalId: response.event_id, decision } : null;
}

/** "approve" approves, "deny" / "reject" rejects; a text with both, or neither, decides nothing. */
export function decisionInText(value: unknown): ApprovalDecisionKind | null {
  if (typeof value !== 'string') return null;
  const text = value.toLowerCase();
  const approves = /\bapprove/.test(text);
  const rejects = /\b(deny|denied|reject)/.test(text);
  // "Approve? No, deny" says both: no decision is safer than a guess.
  if (approves === rejects) return null;
  return approves ? 'approve' : 'reject';
}

/** Who decided, as the approval records it: the Telegram user id and their username or first name. */
export function telegramActor(channel: string, user: TelegramUser | undefined): ApprovalActor {
  const id = typeof user?.id === 'number' || typeof user?.id === 'string' ? String(user.id).slice(0, 64) : undefined;
  const name = typeof user?.username === 'string' ? user.username : typeof user?.first_name === 'string' ? user.first_name : undefined;
  return { channel, ...(id ? { id } : {}), ...(name ? { name: name.slice(0, 64) } : {}) };
}
