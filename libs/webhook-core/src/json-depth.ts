import { BadRequestException } from '@nestjs/common';

/**
 * Deeper JSON than this is refused with 400 wherever a body is parsed: walking or re-serialising a
 * value nested thousands of levels deep exhausts the stack (a 500). Real payloads nest well under 20.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a parsed JSON value nests deeper than `limit`, counted without recursion. Give it the text
 * it was parsed from when there is one: JSON nests only through `{` and `[`, so a text with no more
 * than `limit` of them cannot be too deep, and most bodies are settled by a few native `indexOf`
 * calls (at most limit + 3) instead of a walk that allocates for every value.
 */
export function jsonDepthExceeds(value: unknown, limit: number, source?: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (source !== undefined && !openingBracketsExceed(source, limit)) return false;
  const nodes: unknown[] = [value];
  const depths: number[] = [1];
  let visited = 0;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    // A wide value is bounded by the body limit; this only caps the work of one check.
    if (++visited > 1_000_000) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Whether `source` holds more than `limit` opening brackets (`{` and `[`, in strings too: an upper bound on depth). */
function openingBracketsExceed(source: string, limit: number): boolean {
  let found = 0;
  for (const bracket of ['{', '[']) {
    for (let at = source.indexOf(bracket); at !== -1; at = source.indexOf(bracket, at + 1)) {
      if (++found > limit) return true;
    }
  }
  return false;
}

export class JsonTooDeepException extends BadRequestException {
  constructor(limit = MAX_JSON_DEPTH) {
    super(`invalid JSON: nested deeper than ${limit} levels`);
  }
}
