import { createHmac } from 'node:crypto';
import { generateWebhookSecret, seedWebhookSignature, signingKey, standardWebhookSignature } from './standard-webhooks.signer';

describe('Standard Webhooks signer', () => {
  it('reproduces the reference test vector', () => {
    const signature = standardWebhookSignature(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret during rotation, space-separated', () => {
    const sig = standardWebhookSignature(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', generateWebhookSecret()], 'id', 1, 'x');
    expect(sig.split(' ')).toHaveLength(2);
    expect(sig.split(' ').every((s) => /^v1,[A-Za-z0-9+/]{43}=$/.test(s))).toBe(true);
  });

  it('uses a non-whsec secret as its UTF-8 bytes, and makes 24-byte whsec secrets', () => {
    expect(signingKey('plain-secret').toString()).toBe('plain-secret');
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(signingKey(secret)).toHaveLength(24);
  });

  it('makes the seed header over the exact body with the secret as stored', () => {
    expect(seedWebhookSignature('wa_mcp_webhook_secret', '{"a":1}')).toBe(
      `sha256=${createHmac('sha256', 'wa_mcp_webhook_secret').update('{"a":1}').digest('hex')}`,
    );
  });
});
