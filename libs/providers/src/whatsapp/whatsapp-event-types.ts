import { EventTypeInfo } from '@hub/webhook-core';

/** Event types the WhatsApp adapter emits: Meta Cloud API fields and the bridge document's events. */
export const WHATSAPP_EVENT_TYPES: EventTypeInfo[] = [
  { type: 'whatsapp.message.received', description: 'Meta Cloud API: an inbound message (one event per messages[] item, deduplicated by wamid).' },
  { type: 'whatsapp.message.status', description: 'Meta Cloud API: sent/delivered/read/failed status of an outbound message (deduplicated by id + status).' },
  { type: 'whatsapp.error', description: 'Meta Cloud API: an out-of-band error reported in value.errors[].' },
  { type: 'whatsapp.message_template_status_update', description: 'Meta Cloud API: a message template was approved, rejected, paused or disabled.' },
  { type: 'whatsapp.message_template_quality_update', description: 'Meta Cloud API: the quality score of a template changed.' },
  { type: 'whatsapp.account_update', description: 'Meta Cloud API: the WhatsApp Business Account changed (ban, review, policy).' },
  { type: 'whatsapp.account_review_update', description: 'Meta Cloud API: the account review finished.' },
  { type: 'whatsapp.phone_number_quality_update', description: 'Meta Cloud API: a phone number quality rating or messaging limit changed.' },
  { type: 'whatsapp.phone_number_name_update', description: 'Meta Cloud API: a display name review finished.' },
  { type: 'whatsapp.business_capability_update', description: 'Meta Cloud API: a business capability (e.g. messaging limit) changed.' },
  { type: 'whatsapp.security', description: 'Meta Cloud API: a security setting (e.g. two-step PIN) changed.' },
  { type: 'whatsapp.flows', description: 'Meta Cloud API: a WhatsApp Flow changed status or raised an alert.' },
  { type: 'whatsapp.message.sent', description: 'Bridge: a message was sent from the connected account.' },
  { type: 'whatsapp.message.update', description: 'Bridge: read receipt or status change of a message.' },
  { type: 'whatsapp.connection.update', description: 'Bridge: connection state changed (open, close, QR code).' },
  { type: 'whatsapp.group.update', description: 'Bridge: group metadata changed (subject, settings).' },
  { type: 'whatsapp.presence.update', description: 'Bridge: a contact went online or offline.' },
];
