import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, OnModuleInit, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HubMetrics } from '@hub/observability';
import { HubConfig } from '@hub/config';
import { DomainEvent, EventsRepository, newDomainEvent, newEventId } from '@hub/store';
import {
  APPROVAL_DECIDED,
  APPROVAL_EXPIRED,
  APPROVAL_ID_PATTERN,
  APPROVAL_REQUESTED,
  APPROVAL_STATUSES,
  Approval,
  ApprovalActor,
  ApprovalDecisionKind,
  ApprovalRequest,
  ApprovalStatus,
  ApprovalTelegramMessage,
} from './approval';
import { ApprovalsRepository, DecideOutcome } from './approvals.repository';

export interface ApprovalPage {
  data: Approval[];
  nextCursor: string | null;
}

/** A page of a status filter scans at most this many approvals, so a rare status cannot make one call unbounded. */
const MAX_SCAN = 2_000;
const MAX_REASON = 500;

/**
 * The approval workflow shared by REST, MCP and the Telegram channels: request, decide (the first
 * decision wins atomically), read. Every new and decided approval is also an event
 * (`hub.approval.requested`, `hub.approval.decided`) so subscribers and MCP sessions see it, and
 * approved actions run from the stream (ApprovalRunner). An event whose store step was cut short by
 * a crash stays in the outbox until the sweeper stores it (the dedupe key makes that idempotent).
 */
@Injectable()
export class ApprovalsService implements OnModuleInit {
  private readonly logger = new Logger(ApprovalsService.name);
  private decisions?: Counter<'outcome'>;

  constructor(
    private readonly repository: ApprovalsRepository,
    private readonly events: EventsRepository,
    private readonly config: HubConfig,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  onModuleInit(): void {
    if (!this.metrics) return;
    this.decisions = new Counter({
      name: 'hub_approval_outcomes_total',
      help: 'Approvals decided (approved, rejected) or expired by this process.',
      labelNames: ['outcome'] as const,
      registers: [this.metrics.registry],
    });
    this.metrics.stateGauge('hub_approvals_pending', 'Approvals waiting for a decision.', [], async () => [[{}, await this.repository.pendingCount()]]);
  }

  /**
   * Creates a pending approval. `id` (an `apr_` id derived from what asked, e.g. an event) makes the
   * request idempotent: asking again answers the approval made the first time.
   */
  async request(input: ApprovalRequest, options: { id?: string; now?: number } = {}): Promise<Approval> {
    const now = options.now ?? Date.now();
    const approval: Approval = {
      id: options.id ?? newEventId(now).replace(/^evt_/, 'apr_'),
      action: input.action,
      arguments: input.arguments,
      summary: input.summary.slice(0, 500),
      status: 'pending',
      requestedBy: input.requestedBy,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.config.approvals.ttlSeconds * 1000).toISOString(),
    };
    const pruneBelow = newEventId(now - (this.config.approvals.ttlSeconds + this.config.eventRetentionSeconds) * 1000).replace(/^evt_/, 'apr_').slice(0, 14);
    if (!(await this.repository.create(approval, now, pruneBelow))) return this.get(approval.id);
    await this.announce(approval.id, 'requested', approval);
    this.logger.log(`approval ${approval.id} requested for ${approval.action} by ${describeActor(approval.requestedBy)}`);
    return approval;
  }

  /** The approval, or 404 (also for an id that is not an approval id). */
  async get(id: string): Promise<Approval> {
    const approval = APPROVAL_ID_PATTERN.test(id) ? await this.repository.get(id) : null;
    if (!approval) throw new NotFoundException(`approval ${String(id).slice(0, 40)} not found (unknown, or older than the retention window)`);
    return approval;
  }

  async find(id: string): Promise<Approval | null> {
    return APPROVAL_ID_PATTERN.test(id) ? this.repository.get(id) : null;
  }

  /** Newest first, optionally of one status; follow nextCursor for older ones. */
  async list(query: { status?: string; limit?: number; cursor?: string }): Promise<ApprovalPage> {
    const status = query.status;
    if (status !== undefined && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
      throw new BadRequestException(`status must be one of ${APPROVAL_STATUSES.join(', ')}`);
    }
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequestException('limit must be an integer from 1 to 500');
    if (query.cursor !== undefined && !APPROVAL_ID_PATTERN.test(query.cursor)) throw new BadRequestException('cursor must be an approval id from nextCursor');

    const data: Approval[] = [];
    let cursor = query.cursor;
    let scanned = 0;
    let exhausted = false;
    while (data.length < limit && scanned < MAX_SCAN) {
      const ids = await this.repository.pageIds(cursor, Math.min(200, MAX_SCAN - scanned));
      if (ids.length === 0) {
        exhausted = true;
        break;
      }
      const approvals = await this.repository.getMany(ids);
      for (let i = 0; i < ids.length; i++) {
        scanned++;
        cursor = ids[i];
        const approval = approvals[i];
        if (approval && (!status || approval.status === status)) data.push(approval);
        if (data.length === limit) break;
      }
    }
    return { data, nextCursor: exhausted || data.length < limit && scanned < MAX_SCAN ? null : (cursor ?? null) };
  }

  /**
   * Decides a pending approval. The first decision wins: a later one answers 409 with the recorded
   * decision, an expired approval answers 409 and never runs.
   */
  async decide(id: string, decision: ApprovalDecisionKind, by: ApprovalActor, reason?: unknown, now = Date.now()): Promise<Approval> {
    if (decision !== 'approve' && decision !== 'reject') throw new BadRequestException('decision must be "approve" or "reject"');
    if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON)) {
      throw new BadRequestException(`reason must be a string of at most ${MAX_REASON} characters`);
    }
    const current = await this.get(id);
    const recorded = { decision, by, ...(typeof reason === 'string' && reason.trim() ? { reason: reason.trim() } : {}), at: new Date(now).toISOString() };
    const outcome = await this.repository.decide(current.id, decision === 'approve' ? 'approved' : 'rejected', recorded, now);
    if (outcome.outcome === 'expired') await this.announce(current.id, 'expired', { ...current, status: 'expired' });
    if (outcome.outcome !== 'ok') throw this.refusal(current, outcome);
    const decided: Approval = { ...current, status: decision === 'approve' ? 'approved' : 'rejected', decision: recorded };
    this.decisions?.inc({ outcome: decided.status });
    await this.announce(decided.id, 'decided', decided);
    this.logger.log(`approval ${decided.id} ${decided.status} by ${describeActor(by)}`);
    return decided;
  }

  recordResult(id: string, result: Record<string, unknown>): Promise<boolean> {
    return this.repository.recordResult(id, result);
  }

  recordTelegramMessage(id: string, message: ApprovalTelegramMessage): Promise<void> {
    return this.repository.recordTelegramMessage(id, message);
  }

  async findByTelegramMessage(chatId: string, messageId: number): Promise<string | null> {
    return this.repository.findByRef(`telegram:${chatId}:${messageId}`);
  }

  /** Stores the events of approvals whose store step a crash cut short (run periodically by the worker). */
  async announceLeftovers(olderThanMs: number, now = Date.now()): Promise<number> {
    const due = await this.repository.outboxDue(now - olderThanMs, 100);
    for (const member of due) {
      const [id, kind] = member.split(':') as [string, AnnouncedKind];
      const approval = await this.repository.get(id);
      if (approval && ANNOUNCED_KINDS.includes(kind)) await this.announce(id, kind, approval);
      else await this.repository.clearOutbox(member);
    }
    return due.length;
  }

  /** Expires the pending approvals whose time has come and announces each (run periodically by the worker). */
  async expireDue(now = Date.now()): Promise<number> {
    let expired = 0;
    for (const id of await this.repository.dueToExpire(now, 100)) {
      if (!(await this.repository.expire(id, now))) continue;
      const approval = await this.repository.get(id, now);
      if (approval) await this.announce(id, 'expired', approval);
      this.decisions?.inc({ outcome: 'expired' });
      expired++;
    }
    return expired;
  }

  private async announce(id: string, kind: AnnouncedKind, approval: Approval): Promise<DomainEvent> {
    const event = newDomainEvent('hub', EVENT_TYPE_OF[kind], approvalEventData(approval), { subject: id });
    // The dedupe key makes a second announcement (the sweeper after a crash) a duplicate, not a second event.
    await this.events.raise(event, `approval:${id}:${kind}`);
    await this.repository.clearOutbox(`${id}:${kind}`);
    return event;
  }

  private refusal(current: Approval, outcome: Exclude<DecideOutcome, { outcome: 'ok' }>): Error {
    if (outcome.outcome === 'missing') return new NotFoundException(`approval ${current.id} not found`);
    if (outcome.outcome === 'expired' || (outcome.outcome === 'conflict' && outcome.status === 'expired')) {
      return new ConflictException({ message: `approval ${current.id} expired at ${current.expiresAt}; it will never run`, details: { status: 'expired', expiresAt: current.expiresAt } });
    }
    const d = outcome.decision;
    const how = d ? ` by ${describeActor(d.by)} at ${d.at}${d.reason ? ` (${d.reason})` : ''}` : '';
    return new ConflictException({
      message: `approval ${current.id} was already ${outcome.status}${how}; the first decision stands`,
      details: { status: outcome.status, ...(d ? { decision: d } : {}) },
    });
  }
}

type AnnouncedKind = 'requested' | 'decided' | 'expired';
const ANNOUNCED_KINDS: AnnouncedKind[] = ['requested', 'decided', 'expired'];
const EVENT_TYPE_OF: Record<AnnouncedKind, string> = { requested: APPROVAL_REQUESTED, decided: APPROVAL_DECIDED, expired: APPROVAL_EXPIRED };

/** What the approval events carry: the approval as the API shows it. */
function approvalEventData(approval: Approval): Record<string, unknown> {
  return { approval_id: approval.id, ...approval };
}

export function describeActor(actor: ApprovalActor): string {
  return [actor.channel, actor.name ?? actor.id].filter(Boolean).join(' ');
}
