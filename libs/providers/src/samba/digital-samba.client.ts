import { Injectable } from '@nestjs/common';
import { request } from 'undici';
import { HubConfig } from '@hub/config';
import { ToolInputError } from '@hub/mcp';

export interface DigitalSambaWebhook {
  id: string;
  endpoint: string;
  name?: string | null;
  events: string[];
  authorization_header?: string | null;
  created_at?: string;
  updated_at?: string;
}

/**
 * The Digital Samba REST API calls the seed tools need (webhooks and event names), with the
 * developer key of the MCP connection or DIGITAL_SAMBA_API_KEY. The key is never stored.
 */
@Injectable()
export class DigitalSambaClient {
  constructor(private readonly config: HubConfig) {}

  async listWebhooks(apiKey: string | undefined): Promise<DigitalSambaWebhook[]> {
    const all: DigitalSambaWebhook[] = [];
    for (let offset = 0; offset < 10_000; offset += 100) {
      const page = (await this.call('GET', `/webhooks?limit=100&offset=${offset}`, apiKey)) as { data?: DigitalSambaWebhook[] };
      const data = page?.data ?? [];
      all.push(...data);
      if (data.length < 100) break;
    }
    return all;
  }

  createWebhook(apiKey: string | undefined, body: Partial<DigitalSambaWebhook>): Promise<DigitalSambaWebhook> {
    return this.call('POST', '/webhooks', apiKey, body) as Promise<DigitalSambaWebhook>;
  }

  updateWebhook(apiKey: string | undefined, id: string, body: Partial<DigitalSambaWebhook>): Promise<DigitalSambaWebhook> {
    return this.call('PATCH', `/webhooks/${encodeURIComponent(id)}`, apiKey, body) as Promise<DigitalSambaWebhook>;
  }

  async deleteWebhook(apiKey: string | undefined, id: string): Promise<void> {
    await this.call('DELETE', `/webhooks/${encodeURIComponent(id)}`, apiKey);
  }

  async listEvents(apiKey: string | undefined): Promise<string[]> {
    const events = await this.call('GET', '/events', apiKey);
    return Array.isArray(events) ? (events as string[]) : ((events as { data?: string[] })?.data ?? []);
  }

  private async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, apiKey: string | undefined, body?: unknown): Promise<unknown> {
    const key = apiKey ?? this.config.digitalSambaApi.key;
    if (!key) throw new ToolInputError('no Digital Samba API key: send X-DigitalSamba-Api-Key on the MCP connection or set DIGITAL_SAMBA_API_KEY');
    let response;
    try {
      response = await request(`${this.config.digitalSambaApi.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new ToolInputError(`Digital Samba API unreachable: ${(error as Error).message}`);
    }
    const text = await response.body.text();
    if (response.statusCode === 401 || response.statusCode === 403) throw new ToolInputError(`Digital Samba API refused the key (HTTP ${response.statusCode})`);
    if (response.statusCode >= 400) throw new ToolInputError(`Digital Samba API answered HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ToolInputError(`Digital Samba API answered non-JSON: ${text.slice(0, 200)}`);
    }
  }
}
