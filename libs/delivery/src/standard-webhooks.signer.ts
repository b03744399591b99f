import { createHmac, randomBytes } from 'node:crypto';

const WHSEC = /^whsec_([A-Za-z0-9+/]{32,128}={0,2})$/;

/** A new subscription secret: `whsec_` + base64 of 24 random bytes, as Svix and Standard Webhooks do. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The HMAC key of a secret. `whsec_<base64>` keys are the decoded bytes (Standard Webhooks); any other
 * secret (one a seed tool registered, like the WhatsApp bridge's `secret`) is used as its UTF-8 bytes.
 */
export function signingKey(secret: string): Buffer {
  const match = WHSEC.exec(secret);
  return match ? Buffer.from(match[1], 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` for each secret, space-separated (rotation). */
export function standardWebhookSignature(secrets: readonly string[], id: string, timestampSeconds: number, body: Buffer | string): string {
  const signed = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  return secrets.map((secret) => `v1,${createHmac('sha256', signingKey(secret)).update(signed).digest('base64')}`).join(' ');
}

/** The seed documents' `X-Webhook-Signature: sha256=<hex HMAC(secret exactly as stored, body)>`. */
export function seedWebhookSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
