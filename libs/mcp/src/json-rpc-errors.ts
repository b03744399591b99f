import { ErrorBody, InvalidJsonException } from '@hub/webhook-core';

/** JSON-RPC 2.0 error codes the endpoint uses (-32000 is the MCP SDK's own code for transport refusals). */
export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_SERVER_ERROR = -32000;
export const JSON_RPC_INTERNAL_ERROR = -32603;

/**
 * The hub's error body as a JSON-RPC error with no id, as the SDK transport answers its own refusals,
 * so an MCP client shows the reason for a 401, 403, 413 or an unreadable body. The HTTP status stays.
 */
export function toJsonRpcError(body: ErrorBody, exception: unknown): object {
  const code = exception instanceof InvalidJsonException ? JSON_RPC_PARSE_ERROR : body.statusCode >= 500 ? JSON_RPC_INTERNAL_ERROR : JSON_RPC_SERVER_ERROR;
  const message = code === JSON_RPC_PARSE_ERROR ? `Parse error: ${body.message}` : body.message;
  return { jsonrpc: '2.0', error: { code, message, ...(body.errorId ? { data: { errorId: body.errorId } } : {}) }, id: null };
}
