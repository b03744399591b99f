import { BadRequestException } from '@nestjs/common';

/**
 * Deeper JSON than this is refused with 400 wherever a body is parsed: walking or re-serialising a
 * value nested thousands of levels deep exhausts the stack (a 500). Real payloads nest well under 20.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `limit`, counted without recursion. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  let visited = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    // A wide value is bounded by the body limit; this only caps the work of one check.
    if (++visited > 1_000_000) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export class JsonTooDeepException extends BadRequestException {
  constructor(limit = MAX_JSON_DEPTH) {
    super(`invalid JSON: nested deeper than ${limit} levels`);
  }
}
