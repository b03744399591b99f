import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { ConfigError, HubConfig, loadHubConfig } from '@hub/config';
import { LiveEventsListener, McpServerFactory, McpSession } from '@hub/mcp';
import { McpStdioModule } from './mcp-stdio.module';
import { StderrLogger } from './stderr.logger';

// stdout is the protocol: a library that prints with console.log/info/debug would corrupt it.
console.log = console.info = console.debug = console.error;

/**
 * The hub's MCP server over stdio (`npm run mcp:stdio`, after `npm run build`): one session for the
 * process that spawned us, sharing Redis with the running hub. No HTTP and no token: whoever can
 * start this process already has the hub's environment. Logs go to stderr only. Client configs use
 * `node dist/apps/gateway/src/mcp-stdio.js` or `npm run -s mcp:stdio`: without -s npm prints its
 * "> webhook-hub mcp:stdio" banner on stdout.
 */
async function bootstrap(): Promise<void> {
  await ConfigModule.forRoot({ envFilePath: ['.env'], expandVariables: true });
  let config: HubConfig;
  try {
    config = loadHubConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new StderrLogger(config.logLevel);
  const app = await NestFactory.createApplicationContext(McpStdioModule.register(config), { logger, abortOnError: false });
  const live = app.get(LiveEventsListener);
  const transport = new StdioServerTransport();
  // No connection headers on stdio: tools fall back to their environment settings (DIGITAL_SAMBA_API_KEY).
  const session = app.get(McpServerFactory).create((server) => new McpSession(`stdio-${randomUUID()}`, server, transport, {}));

  let closing = false;
  let reason = 'transport closed';
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.log(`MCP stdio session ending (${reason})`, 'McpStdio');
    live.detach(session);
    // A Redis that is gone must not keep the process alive.
    setTimeout(() => process.exit(0), 5_000).unref();
    await app.close().catch((error: Error) => logger.error(`shutdown: ${error.message}`, undefined, 'McpStdio'));
    process.exit(0);
  };
  // Every way out closes the session; its onclose (transport closed) shuts the context down.
  session.server.server.onclose = () => void shutdown();
  const end = (why: string) => () => {
    reason = why;
    void session.server.close().finally(() => shutdown());
  };
  process.stdin.once('end', end('stdin closed'));
  process.once('SIGTERM', end('SIGTERM'));
  process.once('SIGINT', end('SIGINT'));

  live.attach(session);
  await session.server.connect(transport);
  logger.log(`MCP server on stdio ready, Redis prefix ${config.prefix}`, 'McpStdio');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`webhook hub MCP (stdio) failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
