import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { AddressInfo } from 'node:net';
import { ADMIN_TOKEN, TestHub } from './hub-test-app';

export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** Events pushed as notifications/message (their data). */
  logged: { at: number; data: { id: string; type: string } }[];
  resourceUpdates: string[];
  custom: { method: string; params: unknown }[];
}

export function mcpUrl(hub: TestHub): URL {
  const { port } = hub.app.getHttpServer().address() as AddressInfo;
  return new URL(`http://127.0.0.1:${port}/mcp`);
}

/** The SDK's own client over Streamable HTTP, with the bearer token, recording every notification. */
export async function connectMcp(hub: TestHub, headers: Record<string, string> = {}): Promise<ConnectedClient> {
  const client = new Client({ name: 'hub-e2e', version: '1.0.0' });
  const logged: ConnectedClient['logged'] = [];
  const resourceUpdates: string[] = [];
  const custom: ConnectedClient['custom'] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logged.push({ at: Date.now(), data: n.params.data as { id: string; type: string } });
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    resourceUpdates.push(n.params.uri);
  });
  client.fallbackNotificationHandler = async (n) => {
    custom.push({ method: n.method, params: n.params });
  };
  const transport = new StreamableHTTPClientTransport(mcpUrl(hub), {
    requestInit: { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } },
  });
  await client.connect(transport);
  // The client opens the notification (GET) stream asynchronously after initialization.
  await new Promise((r) => setTimeout(r, 200));
  return { client, transport, logged, resourceUpdates, custom };
}

/** The JSON a tool answered (its text content). */
export function toolJson(result: unknown): any {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0].text);
}
