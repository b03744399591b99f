import { JsonObject, isJsonObject } from '@hub/webhook-core';
import { CatalogueVideo, bestVideoMatch } from './video-match';

/** What a tool call asked for, read from the document's `conversation.tool_called` or the Interactions Protocol's `conversation.tool_call`. */
export interface ToolCall {
  conversationId: string;
  toolCallId: string;
  toolName: string;
  /** As sent: a JSON string (the OpenAI convention both use), or an object. */
  rawArguments: unknown;
}

export interface ToolOutcome {
  success: boolean;
  result?: Record<string, unknown>;
  error?: string;
}

/** Tool call event types the hub answers. */
export const TOOL_CALL_TYPES = new Set(['tavus.conversation.tool_called', 'tavus.conversation.tool_call']);

const MAX_ARGUMENTS_CHARS = 64 * 1024;
const MAX_CTA_TEXT = 80;

/**
 * The tool call an event holds, or null when it holds none. `eventId` stands in for a missing call id
 * (then its redeliveries are told apart only by the event dedupe).
 */
export function parseToolCall(data: unknown, eventId: string, subject?: string): ToolCall | null {
  if (!isJsonObject(data)) return null;
  const conversationId = typeof data.conversation_id === 'string' ? data.conversation_id : (subject ?? 'unknown');
  // The document: tool_call {id, function: {name, arguments}}.
  if (isJsonObject(data.tool_call)) {
    const call = data.tool_call;
    const fn = isJsonObject(call.function) ? call.function : ({} as JsonObject);
    return {
      conversationId,
      toolCallId: idOf(call.id) ?? eventId,
      toolName: typeof fn.name === 'string' ? fn.name.slice(0, 100) : '',
      rawArguments: fn.arguments,
    };
  }
  // The Interactions Protocol: properties {name, arguments}, the inference id names the call.
  if (isJsonObject(data.properties) && data.properties.name !== undefined) {
    return {
      conversationId,
      toolCallId: idOf(data.inference_id) ?? idOf(data.properties.tool_call_id) ?? eventId,
      toolName: typeof data.properties.name === 'string' ? data.properties.name.slice(0, 100) : '',
      rawArguments: data.properties.arguments,
    };
  }
  return null;
}

/**
 * Runs one of the document's tools. Every outcome is a result, never a throw: unknown tools,
 * unparsable arguments and bad values are `{success: false, error}` for the agent to read.
 */
export async function runTavusTool(call: ToolCall, catalogue: () => Promise<readonly CatalogueVideo[]>): Promise<ToolOutcome> {
  if (!call.toolName) return { success: false, error: 'the tool call names no function' };
  const args = parseArguments(call.rawArguments);
  if ('error' in args) return { success: false, error: args.error };
  switch (call.toolName) {
    case 'fetch_video':
      return fetchVideo(args.value, await catalogue());
    case 'display_cta':
      return displayCta(args.value);
    default:
      return { success: false, error: `Unknown tool: ${call.toolName}` };
  }
}

function fetchVideo(args: JsonObject, catalogue: readonly CatalogueVideo[]): ToolOutcome {
  const title = args.video_title;
  if (typeof title !== 'string' || title.trim() === '') return { success: false, error: 'fetch_video needs video_title: a non-empty string' };
  const match = bestVideoMatch(title, catalogue);
  if (!match) return { success: false, error: `No video found matching: ${title.slice(0, 200)}` };
  const video = match.video;
  return { success: true, result: { video_id: video.id, video_url: video.url, title: video.title, duration: video.duration_seconds ?? null, match: match.how } };
}

function displayCta(args: JsonObject): ToolOutcome {
  const { text, url } = args;
  if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_CTA_TEXT) {
    return { success: false, error: `display_cta needs text: 1-${MAX_CTA_TEXT} characters` };
  }
  if (typeof url !== 'string' || !isHttpUrl(url)) return { success: false, error: 'display_cta needs url: an http(s) URL' };
  return { success: true, result: { text, url } };
}

function parseArguments(raw: unknown): { value: JsonObject } | { error: string } {
  if (raw === undefined || raw === null || raw === '') return { value: {} };
  if (isJsonObject(raw)) return { value: raw };
  if (typeof raw !== 'string') return { error: 'arguments must be a JSON object or a string holding one' };
  if (raw.length > MAX_ARGUMENTS_CHARS) return { error: `arguments longer than ${MAX_ARGUMENTS_CHARS} characters` };
  try {
    const parsed: unknown = JSON.parse(raw);
    return isJsonObject(parsed) ? { value: parsed } : { error: 'arguments must be a JSON object' };
  } catch (error) {
    return { error: `arguments is not valid JSON: ${(error as Error).message.slice(0, 100)}` };
  }
}

function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function idOf(value: unknown): string | undefined {
  return (typeof value === 'string' && value.length > 0 && value.length <= 200) || typeof value === 'number' ? String(value) : undefined;
}
