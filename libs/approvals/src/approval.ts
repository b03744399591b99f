export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired'];
export type ApprovalDecisionKind = 'approve' | 'reject';

/** Who asked for, or decided, an approval, and through which channel. */
export interface ApprovalActor {
  /** `mcp`, `rest`, `makecom`, `telegram` (Bot API buttons), `cctelegram` (the bridge), ... */
  channel: string;
  /** The MCP session, the Telegram user id, the Make.com client: whatever identifies the actor there. */
  id?: string;
  /** A readable name (Telegram username or first name). */
  name?: string;
}

export interface ApprovalDecision {
  decision: ApprovalDecisionKind;
  by: ApprovalActor;
  reason?: string;
  at: string;
}

/** Where the request was shown in Telegram, so the message can be edited once decided. */
export interface ApprovalTelegramMessage {
  chatId: string;
  messageId: number;
}

/** A human-in-the-loop approval of one action (ARCHITECTURE §3.5): pending → approved | rejected | expired. */
export interface Approval {
  id: string;
  /** The action that runs once approved, `<source>.<name>` (e.g. `makecom.send_webhook_response`). */
  action: string;
  arguments: Record<string, unknown>;
  /** One line a human reads before deciding. */
  summary: string;
  status: ApprovalStatus;
  requestedBy: ApprovalActor;
  requestedAt: string;
  expiresAt: string;
  decision?: ApprovalDecision;
  /** What the action did once approved (for send_webhook_response: its delivery id), or `{error}`. */
  result?: Record<string, unknown>;
  telegram?: ApprovalTelegramMessage;
}

export interface ApprovalRequest {
  action: string;
  arguments: Record<string, unknown>;
  summary: string;
  requestedBy: ApprovalActor;
}

export const APPROVAL_ID_PATTERN = /^apr_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The hub's own events about approvals, so subscribers and MCP sessions see them. */
export const APPROVAL_REQUESTED = 'hub.approval.requested';
export const APPROVAL_DECIDED = 'hub.approval.decided';
export const APPROVAL_EXPIRED = 'hub.approval.expired';

export const APPROVAL_EVENT_TYPES = [
  { type: APPROVAL_REQUESTED, description: 'An action waits for a human decision (approve or reject); data is the approval.' },
  { type: APPROVAL_DECIDED, description: 'An approval was approved or rejected (data.decision says who, how and why); approved actions then run.' },
  { type: APPROVAL_EXPIRED, description: 'A pending approval reached APPROVAL_TTL_SECONDS undecided; its action never runs.' },
];

/** What a channel tells the person who pressed a button or replied. */
export interface ApprovalReplyOutcome {
  decided: boolean;
  text: string;
}
