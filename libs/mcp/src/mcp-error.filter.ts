import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Refusals at /mcp (401 token, 403 Host/Origin) as JSON-RPC error bodies with no id, like every
 * other error this endpoint and the SDK transport answer, so an MCP client shows the reason. The
 * HTTP status stays; anything that is not an HttpException goes on to the hub's filter.
 */
@Injectable()
@Catch(HttpException)
export class McpErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<{ headersSent?: boolean; raw?: { headersSent: boolean } }>();
    if ((res.raw ?? res).headersSent) return;
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message);
    this.adapterHost.httpAdapter.reply(res, { jsonrpc: '2.0', error: { code: -32000, message }, id: null }, exception.getStatus());
  }
}
