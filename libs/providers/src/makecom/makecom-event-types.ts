import { EventTypeInfo } from '@hub/webhook-core';

/**
 * Make.com action ids are chosen by the scenario author, so any safe `action_id` becomes
 * `makecom.<action_id>`; these are the ones the seed's scenarios send.
 */
export const MAKECOM_EVENT_TYPES: EventTypeInfo[] = [
  {
    type: 'makecom.get_client_data',
    description:
      'Make.com scenario "GPT - Get Client Knowledge Graph" (route chatgpt-clients): a client task to process; any other action_id arrives as makecom.<action_id>.',
  },
];
