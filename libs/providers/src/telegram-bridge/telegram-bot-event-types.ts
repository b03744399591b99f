import { EventTypeInfo } from '@hub/webhook-core';

/**
 * The payload fields of a Bot API Update (exactly one is present besides update_id), in the order of the
 * Bot API reference. Each becomes the event type `telegram.<field>`.
 */
export const TELEGRAM_UPDATE_FIELDS: Record<string, string> = {
  message: 'A new incoming message of any kind: text, photo, sticker, command...',
  edited_message: 'A known message was edited (occurredAt is the edit time).',
  channel_post: 'A new post in a channel the bot is in.',
  edited_channel_post: 'A known channel post was edited.',
  business_connection: 'The bot was connected to or disconnected from a business account, or the connection was changed.',
  business_message: 'A new message from a connected business account.',
  edited_business_message: 'A message from a connected business account was edited.',
  deleted_business_messages: 'Messages were deleted from a connected business account.',
  message_reaction: 'A user changed a reaction on a message (needs allowed_updates and admin rights).',
  message_reaction_count: 'Anonymous reaction counts on a message changed (needs allowed_updates and admin rights).',
  inline_query: 'A new incoming inline query (@bot query).',
  chosen_inline_result: 'An inline result was chosen by a user and sent to a chat (needs inline feedback).',
  callback_query: 'A user pressed an inline keyboard button (data holds its callback_data).',
  shipping_query: 'A new shipping query, for invoices with a flexible price.',
  pre_checkout_query: 'A new pre-checkout query with full information about the checkout; answer within 10 s.',
  purchased_paid_media: 'A user purchased paid media with a non-empty payload sent by the bot in a non-channel chat.',
  poll: 'The state of a poll changed (bots only receive updates about polls they sent or manually stopped).',
  poll_answer: 'A user changed their answer in a non-anonymous poll the bot sent.',
  my_chat_member: "The bot's own chat member status changed (added, removed, blocked, promoted).",
  chat_member: "A chat member's status changed (needs allowed_updates and admin rights).",
  chat_join_request: 'A request to join the chat was sent (the bot needs can_invite_users).',
  chat_boost: 'A chat boost was added or changed (the bot must be an administrator).',
  removed_chat_boost: 'A boost was removed from a chat (the bot must be an administrator).',
};

export const TELEGRAM_EVENT_TYPES: EventTypeInfo[] = Object.entries(TELEGRAM_UPDATE_FIELDS).map(([field, description]) => ({
  type: `telegram.${field}`,
  description,
}));
