import { createHmac } from 'node:crypto';

/** `sha256=<hex HMAC-SHA256(secret, body)>`, as WhatsApp, the bridges and CCTelegram send it. */
export function sha256Header(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
