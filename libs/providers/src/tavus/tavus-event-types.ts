import { EventTypeInfo } from '@hub/webhook-core';

/**
 * The Tavus platform's own conversation callbacks. Each fires once per conversation, so they are
 * deduplicated by (conversation_id, event_type); other event types are keyed by the raw body.
 */
export const TAVUS_CONVERSATION_CALLBACKS: ReadonlySet<string> = new Set([
  'system.replica_joined',
  'system.shutdown',
  'application.transcription_ready',
  'application.recording_ready',
  'application.perception_analysis',
]);

/** Types counted as tool calls in the GET /api/tavus/webhook stats view. */
export const TAVUS_TOOL_CALL_TYPES: readonly string[] = [
  'tavus.conversation.tool_called',
  'tavus.conversation.tool_call',
  'tavus.conversation.perception_tool_call',
];

/**
 * Event types the Tavus adapter emits. Any other safe `event_type` is stored as `tavus.<event_type>`,
 * and replica / video callbacks with another status as `tavus.replica.<status>` / `tavus.video.<status>`.
 */
export const TAVUS_EVENT_TYPES: EventTypeInfo[] = [
  { type: 'tavus.system.replica_joined', description: 'Tavus callback: the replica joined the conversation room (properties.replica_id).' },
  { type: 'tavus.system.shutdown', description: 'Tavus callback: the conversation ended; properties.shutdown_reason says why.' },
  { type: 'tavus.application.transcription_ready', description: 'Tavus callback: the transcript is ready (properties.transcript, system prompt first).' },
  { type: 'tavus.application.recording_ready', description: 'Tavus callback: the recording is stored (properties.bucket_name + s3_key, or storage_uri).' },
  { type: 'tavus.application.perception_analysis', description: 'Tavus callback: the Raven perception summary of the call (properties.analysis).' },
  { type: 'tavus.application.post_call_action_executed', description: 'Tavus callback seen in the wild: a post-call action ran (keyed by raw body).' },
  { type: 'tavus.replica.ready', description: 'Tavus replica training callback: the replica finished training.' },
  { type: 'tavus.replica.error', description: 'Tavus replica training callback: training failed (error_message).' },
  { type: 'tavus.video.ready', description: 'Tavus video callback: the video is generated (download_url, hosted_url, stream_url).' },
  { type: 'tavus.video.error', description: 'Tavus video callback: generation failed (status_details).' },
  { type: 'tavus.conversation.updated', description: 'Seed document: the conversation status changed (status, participant_count).' },
  { type: 'tavus.conversation.ended', description: 'Seed document: the conversation ended (duration_seconds, end_reason, analytics).' },
  { type: 'tavus.conversation.tool_called', description: 'Seed document: the agent called a tool (tool_call.function.name and arguments).' },
  { type: 'tavus.conversation.tool_result', description: 'Seed document / Interactions Protocol: the result of a tool call (tool_call_id).' },
  { type: 'tavus.conversation.message', description: 'Seed document: one conversation message (message.role, message.content).' },
  { type: 'tavus.conversation.tool_call', description: 'Interactions Protocol app-message forwarded by a client: the LLM asks for a tool call.' },
  { type: 'tavus.conversation.perception_tool_call', description: 'Interactions Protocol app-message forwarded by a client: a perception tool fired.' },
  { type: 'tavus.tool_result', description: 'The hub answered a tool call (fetch_video, display_cta): {conversation_id, tool_call_id, tool_name, success, result | error, execution_time_ms}.' },
  { type: 'tavus.conversation.utterance', description: 'Interactions Protocol app-message forwarded by a client: what the user or replica said.' },
];
