import { Injectable, NotFoundException } from '@nestjs/common';
import { DomainEvent } from '@hub/store';
import { JsonObject, isJsonObject } from '@hub/webhook-core';
import { ConversationChange, StoredConversation, TavusConversationsRepository } from './tavus-conversations.repository';
import { TOOL_CALL_TYPES, parseToolCall } from './tavus-tools';

export const TOOL_RESULT = 'tavus.tool_result';
const MAX_CONTENT = 2_000;
/** The stats view samples at most this many recently active conversations. */
const STATS_SAMPLE = 1_000;
const CONVERSATION_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

export interface ConversationView {
  conversation_id: string;
  status: string | null;
  persona_id: string | null;
  participant_count: number | null;
  replica_id: string | null;
  started_at: string | null;
  updated_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  end_reason: string | null;
  messages: { total: number; by_role: Record<string, number>; items: Record<string, unknown>[] };
  tool_calls: Record<string, unknown>[];
  analytics: unknown;
  metadata: unknown;
}

export interface TavusAnalytics {
  /** Conversations with an event in the last 24 h (at most the 1000 most recent are read). */
  conversations: { active: number; ended: number; total: number };
  messages_by_role: Record<string, number>;
  tool_calls: Record<string, { calls: number; succeeded: number; failed: number; success_rate: number | null }>;
  mean_duration_seconds: number | null;
  mean_tool_execution_ms: number | null;
  /** Mean time from receiving an event to applying it to its conversation. */
  mean_processing_ms: number | null;
  sampled_conversations: number;
}

/**
 * Conversations as the `conversation.*` events (and the real platform's callbacks, and the hub's own
 * tool results) describe them: status, persona, participants, messages by role, tool calls with
 * their results, duration, end reason. Read by REST and MCP alike; written by the worker.
 */
@Injectable()
export class TavusConversationsService {
  constructor(private readonly repository: TavusConversationsRepository) {}

  /** What an event changes, or nothing for events about no conversation. */
  changesFor(event: DomainEvent): ConversationChange[] {
    const data = isJsonObject(event.data) ? event.data : undefined;
    const conversationId = typeof data?.conversation_id === 'string' ? data.conversation_id : event.subject;
    if (!data || !conversationId || !CONVERSATION_ID.test(conversationId) || event.source !== 'tavus') return [];
    const base = { conversationId, eventId: event.id, counters: { processing_ms: Math.max(0, Date.now() - Date.parse(event.receivedAt)), processing_count: 1 } };
    const props = isJsonObject(data.properties) ? data.properties : ({} as JsonObject);
    switch (event.type) {
      case 'tavus.conversation.updated':
        return [{ ...base, ends: data.status === 'ended', fields: { status: str(data.status), persona_id: str(data.persona_id), participant_count: num(data.participant_count), created_at: str(data.created_at), updated_at: str(data.updated_at) ?? event.occurredAt, metadata: obj(data.metadata) } }];
      case 'tavus.conversation.ended':
        return [{ ...base, ends: true, fields: { status: 'ended', persona_id: str(data.persona_id), duration_seconds: num(data.duration_seconds), end_reason: str(data.end_reason), ended_at: str(data.ended_at) ?? event.occurredAt, analytics: obj(data.analytics) } }];
      case 'tavus.system.replica_joined':
        return [{ ...base, fields: { status: 'active', replica_id: str(props.replica_id), started_at: event.occurredAt } }];
      case 'tavus.system.shutdown':
        return [{ ...base, ends: true, fields: { status: 'ended', end_reason: str(props.shutdown_reason), ended_at: event.occurredAt } }];
      case 'tavus.conversation.message': {
        const message = isJsonObject(data.message) ? data.message : ({} as JsonObject);
        const role = roleOf(message.role);
        const id = str(message.id) ?? event.id;
        return [{ ...base, item: { kind: 'messages', id, value: { id, role, content: cut(message.content), timestamp: str(message.timestamp) ?? event.occurredAt, metadata: obj(data.metadata) ?? null } }, counters: { ...base.counters, [`messages:${role}`]: 1 } }];
      }
      case 'tavus.application.transcription_ready': {
        const transcript = Array.isArray(props.transcript) ? props.transcript.slice(0, 1_000) : [];
        return transcript
          .filter((line): line is JsonObject => isJsonObject(line) && line.role !== 'system')
          .map((line, i) => {
            const role = roleOf(line.role);
            return { conversationId, eventId: `${event.id}#${i}`, item: { kind: 'messages' as const, id: `transcript:${i}`, value: { id: `transcript:${i}`, role, content: cut(line.content), timestamp: event.occurredAt, metadata: null } }, counters: { [`messages:${role}`]: 1 } };
          });
      }
      case TOOL_RESULT: {
        const name = str(data.tool_name) ?? 'unknown';
        const ms = num(data.execution_time_ms) ?? 0;
        const id = str(data.tool_call_id) ?? event.id;
        return [{ ...base, item: { kind: 'tool_results', id, value: { tool_call_id: id, tool_name: name, success: data.success === true, ...(data.success === true ? { result: data.result } : { error: data.error }), execution_time_ms: ms, by: 'hub', at: event.occurredAt } }, counters: { ...base.counters, [`tool_results:${name}:${data.success === true ? 'ok' : 'failed'}`]: 1, tool_exec_ms: ms, tool_exec_count: 1 } }];
      }
      case 'tavus.conversation.tool_result': {
        // The sender's own report of a tool it ran (the document's event); kept beside the hub's.
        const id = str(data.tool_call_id) ?? event.id;
        return [{ ...base, item: { kind: 'tool_results', id: `sender:${id}`, value: { tool_call_id: id, result: data.result ?? null, execution_time_ms: num(data.execution_time_ms), by: 'sender', at: event.occurredAt } } }];
      }
      default: {
        if (!TOOL_CALL_TYPES.has(event.type)) return [{ ...base }];
        const call = parseToolCall(data, event.id, event.subject);
        if (!call) return [{ ...base }];
        const name = call.toolName || 'unknown';
        const args = typeof call.rawArguments === 'string' ? cut(call.rawArguments) : call.rawArguments ?? null;
        return [{ ...base, item: { kind: 'tool_calls', id: call.toolCallId, value: { id: call.toolCallId, name, arguments: args, called_at: event.occurredAt } }, counters: { ...base.counters, [`tool_calls:${name}`]: 1 } }];
      }
    }
  }

  applyChange(change: ConversationChange): Promise<boolean> {
    return this.repository.apply(change);
  }

  async get(id: string): Promise<ConversationView> {
    const stored = CONVERSATION_ID.test(id) ? await this.repository.get(id) : null;
    if (!stored) throw new NotFoundException(`conversation ${String(id).slice(0, 80)} not found (no event about it, or older than the retention window)`);
    return toView(id, stored);
  }

  /** The document's analytics over the last 24 hours. */
  async analytics(now = Date.now()): Promise<TavusAnalytics> {
    const sample = await this.repository.recentFields(now - 86_400_000, STATS_SAMPLE);
    const byRole: Record<string, number> = {};
    const tools: TavusAnalytics['tool_calls'] = {};
    let active = 0;
    let ended = 0;
    let durations = 0;
    let durationCount = 0;
    let execMs = 0;
    let execCount = 0;
    let processingMs = 0;
    let processingCount = 0;
    for (const f of sample) {
      if (f.status === 'ended') ended++;
      else active++;
      const duration = durationOf(f);
      if (f.status === 'ended' && duration !== null) {
        durations += duration;
        durationCount++;
      }
      execMs += Number(f.tool_exec_ms ?? 0);
      execCount += Number(f.tool_exec_count ?? 0);
      processingMs += Number(f.processing_ms ?? 0);
      processingCount += Number(f.processing_count ?? 0);
      for (const [field, value] of Object.entries(f)) {
        const n = Number(value);
        if (field.startsWith('messages:')) byRole[field.slice(9)] = (byRole[field.slice(9)] ?? 0) + n;
        else if (field.startsWith('tool_calls:')) (tools[field.slice(11)] ??= { calls: 0, succeeded: 0, failed: 0, success_rate: null }).calls += n;
        else if (field.startsWith('tool_results:')) {
          const [name, outcome] = splitLast(field.slice(13));
          const entry = (tools[name] ??= { calls: 0, succeeded: 0, failed: 0, success_rate: null });
          if (outcome === 'ok') entry.succeeded += n;
          else entry.failed += n;
        }
      }
    }
    for (const entry of Object.values(tools)) {
      const done = entry.succeeded + entry.failed;
      entry.success_rate = done > 0 ? round(entry.succeeded / done, 3) : null;
    }
    return {
      conversations: { active, ended, total: sample.length },
      messages_by_role: byRole,
      tool_calls: tools,
      mean_duration_seconds: durationCount ? round(durations / durationCount, 1) : null,
      mean_tool_execution_ms: execCount ? round(execMs / execCount, 1) : null,
      mean_processing_ms: processingCount ? round(processingMs / processingCount, 1) : null,
      sampled_conversations: sample.length,
    };
  }
}

function toView(id: string, stored: StoredConversation): ConversationView {
  const f = stored.fields;
  const byRole: Record<string, number> = {};
  for (const [field, value] of Object.entries(f)) if (field.startsWith('messages:')) byRole[field.slice(9)] = Number(value);
  const results = new Map<string, Record<string, unknown>>();
  const senderResults = new Map<string, Record<string, unknown>>();
  for (const r of stored.toolResults) (r.by === 'sender' ? senderResults : results).set(String(r.tool_call_id), r);
  const calls = stored.toolCalls
    .map((call): Record<string, unknown> => {
      const result = results.get(String(call.id));
      const reported = senderResults.get(String(call.id));
      return {
        ...call,
        result: result ? (result.success ? result.result : null) : null,
        success: result ? result.success : null,
        ...(result && !result.success ? { error: result.error } : {}),
        execution_time_ms: result?.execution_time_ms ?? null,
        ...(reported ? { reported_result: reported.result } : {}),
      };
    })
    .sort((a, b) => String(a.called_at).localeCompare(String(b.called_at)));
  const items = [...stored.messages].sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)) || String(a.id).localeCompare(String(b.id)));
  return {
    conversation_id: id,
    status: f.status ?? null,
    persona_id: f.persona_id ?? null,
    participant_count: f.participant_count !== undefined ? Number(f.participant_count) : null,
    replica_id: f.replica_id ?? null,
    started_at: f.created_at ?? f.started_at ?? new Date(Number(f.first_event_at)).toISOString(),
    updated_at: f.updated_at ?? null,
    ended_at: f.ended_at ?? null,
    duration_seconds: durationOf(f),
    end_reason: f.end_reason ?? null,
    messages: { total: items.length, by_role: byRole, items },
    tool_calls: calls,
    analytics: f.analytics ? JSON.parse(f.analytics) : null,
    metadata: f.metadata ? JSON.parse(f.metadata) : null,
  };
}

/** The duration the platform reported, else from start to end when both are known. */
function durationOf(f: Record<string, string>): number | null {
  if (f.duration_seconds !== undefined) return Number(f.duration_seconds);
  const start = Date.parse(f.created_at ?? f.started_at ?? '');
  const end = Date.parse(f.ended_at ?? '');
  return Number.isFinite(start) && Number.isFinite(end) && end >= start ? Math.round((end - start) / 1000) : null;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function obj(value: unknown): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

function cut(value: unknown): string | null {
  return typeof value === 'string' ? value.slice(0, MAX_CONTENT) : null;
}

/** Roles become counter names: keep them short and plain. */
function roleOf(value: unknown): string {
  return typeof value === 'string' && /^[a-z_]{1,20}$/i.test(value) ? value.toLowerCase() : 'unknown';
}

function splitLast(value: string): [string, string] {
  const i = value.lastIndexOf(':');
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
