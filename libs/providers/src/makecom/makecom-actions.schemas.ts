import { z } from 'zod';
import { jsonDepthExceeds } from '@hub/webhook-core';

/** Action inputs nest at most this deep (stricter than the body limit: they are stored and re-serialised). */
export const MAX_JSON_DEPTH = 32;

const jsonObject = (what: string) =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => !jsonDepthExceeds(v, MAX_JSON_DEPTH), `${what} is nested deeper than ${MAX_JSON_DEPTH} levels`);

const clientId = z.string().trim().min(1).max(256);

/** The seed's four actions with the seed's parameter names; REST bodies and MCP tool arguments are the same. */
export const processWebhookDataInput = {
  webhook_data: jsonObject('webhook_data').describe('The raw webhook payload, e.g. {client_id, action_id, task: {...}}'),
  client_id: clientId.optional().describe('Client identifier; default the payload\'s client_id or its "Client ID" custom field'),
  action_id: z.string().trim().min(1).max(64).optional().describe('Action identifier; default the payload\'s action_id'),
};

export const extractKnowledgeGraphInput = {
  webhook_data: jsonObject('webhook_data').describe('The raw webhook payload with its task (status, assignees, custom_fields)'),
  client_id: clientId.optional().describe('Client identifier; default the payload\'s client_id'),
  include_task_details: z.boolean().optional().describe('Also keep description and status on the task node (default true)'),
};

export const sendWebhookResponseInput = {
  response_url: z
    .string()
    .max(2048)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'response_url must be an http(s) URL')
    .describe('Where the response is POSTed once a human approves (through the delivery engine: SSRF guard, signatures, retries)'),
  response_data: jsonObject('response_data')
    .refine((v) => JSON.stringify(v).length <= 256 * 1024, 'response_data must be at most 256 KiB of JSON')
    .describe('The data to send, as the "data" field of the response'),
  response_type: z.string().trim().min(1).max(64).optional().describe('Kind of response, sent as "status" (default "success")'),
  client_id: clientId.describe('Client identifier the response is about'),
};

export const validateSignatureInput = {
  webhook_data: z
    .union([z.string().max(4 * 1024 * 1024), jsonObject('webhook_data')])
    .describe('The payload that was signed. A string is checked byte for byte (send the raw body); an object is checked over its compact JSON (JSON.stringify with no spaces), so pass the raw string when the sender formatted it differently.'),
  signature: z.string().max(200).describe('The signature as sent: sha256=<64 hex digits> or the bare hex digest'),
  secret_key: z.string().min(1).max(1024).optional().describe('Secret to check with; default every MAKE_COM_WEBHOOK_SECRET (rotation list). Never echoed.'),
  client_id: clientId.optional().describe('Client identifier (recorded only)'),
};

export const getKnowledgeGraphInput = {
  extraction_id: z.string().regex(/^kg_[0-9A-HJKMNP-TV-Z]{26}$/, 'an extraction id such as "kg_01J..."').optional(),
  client_id: clientId.optional().describe('The latest graph of this client (when no extraction_id is given)'),
};
