import { BadRequestException, Injectable } from '@nestjs/common';
import type { ErrorBody } from './hub-exception.filter';

/** A request body that is not valid JSON (thrown by the body parsers of either HTTP adapter). */
export class InvalidJsonException extends BadRequestException {
  constructor(detail: string) {
    super(`invalid JSON: ${detail}`);
  }
}

/** Turns the hub's error body into what a route's protocol expects. */
export type ErrorShape = (body: ErrorBody, exception: unknown) => object;

/**
 * Routes that answer errors in their own protocol: the MCP endpoint speaks JSON-RPC, also for what
 * fails before its controller runs (body parsing, guards). Everything else keeps the hub's ErrorBody.
 */
@Injectable()
export class ErrorShapes {
  private readonly shapes: { pattern: RegExp; shape: ErrorShape }[] = [];

  /** `prefix` is a path such as `/mcp`; it covers `/mcp`, `/mcp/...` and `/mcp?...`. */
  register(prefix: string, shape: ErrorShape): void {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.shapes.push({ pattern: new RegExp(`^${escaped}(?:[/?]|$)`), shape });
  }

  shapeFor(url: string): ErrorShape | undefined {
    return this.shapes.find((s) => s.pattern.test(url))?.shape;
  }
}
