import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A recorded delivery: `<name>.json` holds the body exactly as the platform sends it (bytes, no
 * trailing newline) and `<name>.headers.json` the headers it sends, with placeholders where a
 * credential goes:
 *   {{token}}           a static token (Digital Samba Authorization)
 *   {{apikey}}          an API key (Make.com x-make-apikey)
 *   {{hmac_sha256_hex}} hex HMAC-SHA256(secret, body)
 */
export interface FixtureDelivery {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * The body as supertest must be given it: a string goes out byte for byte (UTF-8), whereas a
 * Buffer with a JSON content type would be JSON-encoded as `{"type":"Buffer","data":[...]}`.
 */
export function wireBody(delivery: Pick<FixtureDelivery, 'body'>): string {
  return delivery.body.toString('utf8');
}

export interface FixtureCredentials {
  token?: string;
  apikey?: string;
  secret?: string;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

export function loadDelivery(provider: string, name: string, credentials: FixtureCredentials = {}): FixtureDelivery {
  const body = readFileSync(join(FIXTURES, provider, `${name}.json`));
  const template = JSON.parse(readFileSync(join(FIXTURES, provider, `${name}.headers.json`), 'utf8')) as Record<string, string>;
  const values: Record<string, () => string | undefined> = {
    token: () => credentials.token,
    apikey: () => credentials.apikey,
    hmac_sha256_hex: () =>
      credentials.secret === undefined ? undefined : createHmac('sha256', credentials.secret).update(body).digest('hex'),
  };
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(template)) {
    headers[header] = value.replace(/\{\{(\w+)\}\}/g, (_all, placeholder: string) => {
      const filled = values[placeholder]?.();
      if (filled === undefined) throw new Error(`fixture ${provider}/${name}: no value for {{${placeholder}}} in ${header}`);
      return filled;
    });
  }
  return { body, headers };
}
