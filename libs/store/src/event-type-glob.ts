/**
 * Glob patterns on event types: `*` matches any run of characters (dots included), `?` one
 * character. `whatsapp.message.*`, `*.session_ended` and `*` are typical.
 *
 * Hand-written instead of a RegExp on purpose: `.*` runs in a RegExp backtrack, and a pattern such
 * as `************Z` against a long type took tens of seconds. Here the pattern is split at its
 * stars and each piece is found once, leftmost, left to right (the greedy rule is exact for globs):
 * O(|pattern| × |type|) at worst, with no backtracking, and both are bounded (TYPE_GLOB_PATTERN).
 */
export interface TypeMatcher {
  readonly pattern: string;
  test(type: string): boolean;
}

export function compileTypeGlob(pattern: string): TypeMatcher {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return { pattern, test: (type) => type.length === pattern.length && matchesAt(type, 0, pattern) };
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
  const fixed = first.length + last.length;
  return {
    pattern,
    test(type: string): boolean {
      if (type.length < fixed || !matchesAt(type, 0, first) || !matchesAt(type, type.length - last.length, last)) return false;
      let from = first.length;
      const end = type.length - last.length;
      for (const piece of middle) {
        const at = find(type, piece, from, end);
        if (at < 0) return false;
        from = at + piece.length;
      }
      return true;
    },
  };
}

export function matchesTypeGlob(pattern: string, type: string): boolean {
  return compileTypeGlob(pattern).test(type);
}

/** Type globs are short and made of the characters event types use. */
export const TYPE_GLOB_PATTERN = /^[A-Za-z0-9_.*?:-]{1,200}$/;

/** Whether `piece` (`?` = any one character) matches `text` at `at`. */
function matchesAt(text: string, at: number, piece: string): boolean {
  if (at < 0 || at + piece.length > text.length) return false;
  for (let j = 0; j < piece.length; j++) {
    const c = piece.charCodeAt(j);
    if (c !== 63 /* ? */ && c !== text.charCodeAt(at + j)) return false;
  }
  return true;
}

/** The leftmost `at >= from` where `piece` matches and ends by `end`, or -1. */
function find(text: string, piece: string, from: number, end: number): number {
  if (!piece.includes('?')) {
    const at = text.indexOf(piece, from);
    return at >= 0 && at + piece.length <= end ? at : -1;
  }
  for (let at = from; at + piece.length <= end; at++) if (matchesAt(text, at, piece)) return at;
  return -1;
}
