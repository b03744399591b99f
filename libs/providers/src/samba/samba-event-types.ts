import { EventTypeInfo } from '@hub/webhook-core';

/**
 * The 39 snake_case events the platform sends (`GET /api/v1/events`, July 2026), listed first because
 * they are what real deliveries carry.
 */
const PLATFORM_EVENTS: [string, string][] = [
  ['session_started', 'A session started in a room (the first participant joined).'],
  ['session_ended', 'A session ended (the last participant left or the room was closed).'],
  ['session_summary_ready', 'The AI summary of a session is ready.'],
  ['session_transcript_ready', 'The transcript of a session is ready.'],
  ['room_locked', 'A room was locked; new participants wait or are refused.'],
  ['room_unlocked', 'A room was unlocked.'],
  ['room_deleted', 'A room was deleted.'],
  ['role_deleted', 'A participant role was deleted.'],
  ['participant_joined', 'A participant joined a session.'],
  ['participant_left', 'A participant left a session.'],
  ['participant_waiting_joined', 'A participant entered the waiting room.'],
  ['participant_waiting_left', 'A participant left the waiting room (admitted, refused or gave up).'],
  ['participant_invited', 'A participant was invited to a session.'],
  ['participant_hand_raised', 'A participant raised their hand.'],
  ['participant_hand_lowered', 'A participant lowered their hand.'],
  ['participant_avatar_uploaded', 'A participant uploaded an avatar picture.'],
  ['participant_avatar_deleted', 'A participant deleted their avatar picture.'],
  ['phone_participant_muted', 'A dial-in phone participant was muted.'],
  ['phone_participant_unmuted', 'A dial-in phone participant was unmuted.'],
  ['phone_participant_asked_to_unmute', 'A dial-in phone participant was asked to unmute.'],
  ['recording_started', 'A recording started.'],
  ['recording_stopped', 'A recording stopped.'],
  ['recording_ready', 'A recording finished processing and can be downloaded.'],
  ['recording_deleted', 'A recording was deleted.'],
  ['question_asked', 'Q&A: a question was asked.'],
  ['question_answered', 'Q&A: a question was answered.'],
  ['question_updated', 'Q&A: a question was edited.'],
  ['question_dismissed', 'Q&A: a question was dismissed.'],
  ['question_reopened', 'Q&A: a dismissed or answered question was reopened.'],
  ['question_deleted', 'Q&A: a question was deleted.'],
  ['answer_updated', 'Q&A: an answer was edited.'],
  ['answer_deleted', 'Q&A: an answer was deleted.'],
  ['file_added_to_library', 'Content library: a file was added.'],
  ['file_renamed', 'Content library: a file was renamed.'],
  ['file_deleted_from_library', 'Content library: a file was deleted.'],
  ['file_processing_failed', 'Content library: a file could not be processed.'],
  ['folder_added_to_library', 'Content library: a folder was added.'],
  ['folder_renamed', 'Content library: a folder was renamed.'],
  ['folder_deleted_from_library', 'Content library: a folder was deleted.'],
];

/** The dotted names of the MCP server document (seed); senders built from it still use them. */
const DOCUMENT_EVENTS: [string, string][] = [
  ['room.created', 'Document format: a room was created.'],
  ['room.updated', 'Document format: a room was updated.'],
  ['room.deleted', 'Document format: a room was deleted.'],
  ['session.started', 'Document format: a session started.'],
  ['session.ended', 'Document format: a session ended.'],
  ['participant.joined', 'Document format: a participant joined.'],
  ['participant.left', 'Document format: a participant left.'],
  ['recording.started', 'Document format: a recording started.'],
  ['recording.stopped', 'Document format: a recording stopped.'],
  ['recording.ready', 'Document format: a recording is ready.'],
  ['chat.message', 'Document format: a chat message was sent.'],
  ['poll.created', 'Document format: a poll was created.'],
  ['poll.updated', 'Document format: a poll was updated.'],
  ['poll.deleted', 'Document format: a poll was deleted.'],
  ['qa.question', 'Document format: a Q&A question was asked.'],
  ['qa.answer', 'Document format: a Q&A question was answered.'],
];

/** Every Digital Samba event type the hub knows; unknown well-formed names are accepted as well. */
export const DIGITAL_SAMBA_EVENT_TYPES: EventTypeInfo[] = [...PLATFORM_EVENTS, ...DOCUMENT_EVENTS].map(
  ([name, description]) => ({ type: `digitalsamba.${name}`, description }),
);
