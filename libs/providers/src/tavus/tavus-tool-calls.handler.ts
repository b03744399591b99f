import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DomainEvent, EventsRepository, PendingEvent, StreamEventHandler, StreamHandler, newDomainEvent } from '@hub/store';
import { TOOL_RESULT } from './tavus-conversations.service';
import { TOOL_CALL_TYPES, parseToolCall, runTavusTool } from './tavus-tools';
import { TavusVideosRepository } from './tavus-videos';
import { CatalogueVideo } from './video-match';

/**
 * Answers the agent's tool calls (the document's "Tool Call Processing"): fetch_video and
 * display_cta, each outcome a `tavus.tool_result` event {conversation_id, tool_call_id, tool_name,
 * success, result | error, execution_time_ms} that subscribers and MCP sessions receive as the
 * document's real-time UI update. Exactly one result per tool call: the result's dedupe key is the
 * call, so a redelivered call (or a re-run after a crash) stores nothing new. Bad calls are results
 * too, never a thrown error or a dead letter.
 */
@Injectable()
@StreamHandler()
export class TavusToolCallHandler implements StreamEventHandler {
  readonly name = 'tavus-tool-calls';

  constructor(
    private readonly videos: TavusVideosRepository,
    private readonly events: EventsRepository,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    // The catalogue is read once per batch, and the batch's results are stored in one round trip.
    let catalogue: Promise<CatalogueVideo[]> | undefined;
    const load = () => (catalogue ??= this.videos.list());
    const results: PendingEvent[] = [];
    for (const event of events) {
      if (event.source !== 'tavus' || !TOOL_CALL_TYPES.has(event.type)) continue;
      const call = parseToolCall(event.data, event.id, event.subject);
      if (!call) continue;
      const started = performance.now();
      const outcome = await runTavusTool(call, load);
      const data = {
        conversation_id: call.conversationId,
        tool_call_id: call.toolCallId,
        tool_name: call.toolName || null,
        success: outcome.success,
        ...(outcome.success ? { result: outcome.result } : { error: outcome.error }),
        execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
      };
      results.push({ event: newDomainEvent('tavus', TOOL_RESULT, data, { subject: call.conversationId }), dedupeKey: `tool_result:${call.conversationId}:${call.toolCallId}` });
    }
    if (results.length > 0) await this.events.append(results, Date.now(), { raised: true });
  }
}
