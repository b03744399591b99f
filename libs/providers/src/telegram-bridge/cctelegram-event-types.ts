import { EventTypeInfo } from '@hub/webhook-core';

/** The CCTelegram bridge's three webhook types, one per route, each emitted as `cctelegram.<webhook_type>`. */
export const CCTELEGRAM_EVENT_TYPES: EventTypeInfo[] = [
  { type: 'cctelegram.event_processed', description: 'POST /webhook/events: the bridge delivered (or failed to deliver) an event to Telegram; deduplicated by event.id.' },
  { type: 'cctelegram.user_response', description: 'POST /webhook/responses: a user answered an interactive message (button or reply); deduplicated by response.id.' },
  { type: 'cctelegram.health_update', description: 'POST /webhook/health: the bridge health status changed or raised an alert; deduplicated by a digest of the raw body.' },
];

/** Which webhook_type each route key accepts (the controller passes the key as request.route). */
export const CCTELEGRAM_ROUTES = {
  events: 'event_processed',
  responses: 'user_response',
  health: 'health_update',
} as const;

export type CcTelegramRoute = keyof typeof CCTELEGRAM_ROUTES;
