/**
 * Glob patterns on event types: `*` matches any run of characters (dots included), `?` one
 * character. `whatsapp.message.*`, `*.session_ended` and `*` are typical.
 */
export function compileTypeGlob(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export function matchesTypeGlob(pattern: string, type: string): boolean {
  return compileTypeGlob(pattern).test(type);
}

/** Type globs are short and made of the characters event types use. */
export const TYPE_GLOB_PATTERN = /^[A-Za-z0-9_.*?:-]{1,200}$/;
