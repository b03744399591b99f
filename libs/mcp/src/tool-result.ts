import { HttpException, Logger } from '@nestjs/common';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isRedisUnavailableError } from '@hub/store';
import { describeHttpException } from '@hub/webhook-core';

const logger = new Logger('McpTools');

/** A tool's answer: JSON text for any client plus structuredContent for those that read it. */
export function ok(result: unknown): CallToolResult {
  const structured = typeof result === 'object' && result !== null && !Array.isArray(result) ? (result as Record<string, unknown>) : { result };
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: structured };
}

export function fail(message: string, details?: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: details ? `${message}\n${JSON.stringify(details, null, 2)}` : message }] };
}

/**
 * Runs a tool body and turns the services' errors into `isError` results a model can act on:
 * the same messages the REST API gives (field errors included), never a stack.
 */
export async function run(body: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return ok(await body());
  } catch (error) {
    if (error instanceof HttpException) {
      const { message, errors, details } = describeHttpException(error);
      return fail(message, errors ?? details);
    }
    if (error instanceof ToolInputError) return fail(error.message);
    if (isRedisUnavailableError(error)) return fail('the hub store (Redis) is unavailable; try again shortly');
    logger.error(`tool failed: ${(error as Error).message}`);
    return fail('internal error while running the tool; see the hub logs');
  }
}

/** A bad argument the schema could not catch. */
export class ToolInputError extends Error {}
