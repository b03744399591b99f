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

/** Decoded keys of the secrets in use: every attempt signs, and a worker signs with few secrets. */
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_ENTRIES = 1024;

function cachedSigningKey(secret: string): Buffer {
  let key = keyCache.get(secret);
  if (!key) {
    if (keyCache.size >= KEY_CACHE_ENTRIES) keyCache.clear();
    key = signingKey(secret);
    keyCache.set(secret, key);
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` for each secret, space-separated (rotation). */
export function standardWebhookSignature(secrets: readonly string[], id: string, timestampSeconds: number, body: Buffer | string): string {
  const prefix = `${id}.${timestampSeconds}.`;
  let signatures = '';
  for (const secret of secrets) {
    const digest = createHmac('sha256', cachedSigningKey(secret)).update(prefix).update(body).digest('base64');
    signatures += `${signatures ? ' ' : ''}v1,${digest}`;
  }
  return signatures;
}

/** The seed documents' `X-Webhook-Signature: sha256=<hex HMAC(secret exactly as stored, body)>`. */
export function seedWebhookSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
