import { Controller, Delete, Get, Inject, Logger, Post, Req, Res, UseGuards } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { McpAccessGuard } from './mcp-access.guard';
import { McpServerFactory } from './mcp-server.factory';
import { McpSession, sessionHeaders } from './mcp-session';
import { McpSessionRegistry } from './mcp-session.registry';
import { RedisEventStore } from './redis-event-store';

/** Streamable HTTP at /mcp: POST (requests), GET (the notification stream), DELETE (end a session). */
@Controller('mcp')
@UseGuards(McpAccessGuard)
export class McpController {
  private readonly logger = new Logger(McpController.name);

  constructor(
    private readonly sessions: McpSessionRegistry,
    private readonly factory: McpServerFactory,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  @Post()
  async post(@Req() request: FrameworkRequest, @Res() reply: FrameworkResponse): Promise<void> {
    const { req, res } = nodeHttp(request, reply);
    const sessionId = req.headers['mcp-session-id'];
    if (sessionId !== undefined) {
      const session = this.known(sessionId, res);
      if (session) {
        session.touch();
        await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res, req.body);
      }
      return;
    }
    if (!isInitializeRequest(req.body)) {
      jsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; start with an initialize request');
      return;
    }
    await this.open(req, res);
  }

  @Get()
  async stream(@Req() request: FrameworkRequest, @Res() reply: FrameworkResponse): Promise<void> {
    const { req, res } = nodeHttp(request, reply);
    const session = this.known(req.headers['mcp-session-id'], res);
    if (!session) return;
    session.touch();
    session.openStreams++;
    res.on('close', () => {
      session.openStreams = Math.max(0, session.openStreams - 1);
      session.touch();
    });
    await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res);
  }

  @Delete()
  async end(@Req() request: FrameworkRequest, @Res() reply: FrameworkResponse): Promise<void> {
    const { req, res } = nodeHttp(request, reply);
    const session = this.known(req.headers['mcp-session-id'], res);
    if (!session) return;
    await (session.transport as StreamableHTTPServerTransport).handleRequest(req, res);
    await this.sessions.close(session);
  }

  private async open(req: NodeRequest, res: ServerResponse): Promise<void> {
    // Without its store the hub can serve no tool: say so at once rather than open a session that cannot work.
    if (this.redis.status !== 'ready') {
      res.setHeader('Retry-After', '5');
      jsonRpcError(res, 503, -32000, 'Service unavailable: the hub cannot reach its store (Redis); retry shortly');
      return;
    }
    const sessionId = randomUUID();
    const eventStore = new RedisEventStore(this.redis, this.keys, sessionId);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      eventStore,
      onsessioninitialized: () => this.sessions.add(session),
    });
    const session = this.factory.create((server) => new McpSession(sessionId, server, transport, sessionHeaders(req.headers), eventStore));
    transport.onclose = () => this.sessions.remove(sessionId);
    await session.server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    this.logger.log(`MCP session ${sessionId} opened`);
  }

  /** The session named by the header, or a JSON-RPC 404 (unknown) / 400 (missing): clients re-initialize on 404. */
  private known(header: string | string[] | undefined, res: ServerResponse): McpSession | undefined {
    if (typeof header !== 'string' || header.length === 0) {
      jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const session = this.sessions.get(header);
    if (!session) jsonRpcError(res, 404, -32001, 'Session not found');
    return session;
  }
}

/** Express hands Node's own request and response to handlers; Fastify wraps them (`raw`). */
type NodeRequest = IncomingMessage & { body?: unknown };
type FrameworkRequest = NodeRequest | { raw: IncomingMessage; body?: unknown };
type FrameworkResponse = ServerResponse | { raw: ServerResponse; hijack(): void };

/**
 * The SDK transport writes to Node's response itself, so it gets the raw objects (with the body the
 * hub's parser already read); on Fastify the reply is hijacked so Fastify does not answer as well.
 */
function nodeHttp(request: FrameworkRequest, reply: FrameworkResponse): { req: NodeRequest; res: ServerResponse } {
  if ('hijack' in reply) {
    reply.hijack();
    const wrapped = request as { raw: NodeRequest; body?: unknown };
    wrapped.raw.body = wrapped.body;
    return { req: wrapped.raw, res: reply.raw };
  }
  return { req: request as NodeRequest, res: reply };
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  // Refusals decided here are written directly: the SDK transport owns this response.
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
