import { BadRequestException } from '@nestjs/common';

/** Instants a client may name: from the epoch to the end of year 9999 (a Date holds far more, ISO strings do not). */
export const MIN_INSTANT_MS = 0;
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A client's instant (ISO 8601, or unix milliseconds as a number or a digit string) as unix ms, or
 * undefined when not given; anything unparsable or outside 1970..9999 is a 400 naming the field.
 */
export function parseInstant(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value)) ms = Number(value);
  else if (typeof value === 'string' && value.length <= 40) ms = Date.parse(value);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(field, `${field} must be an ISO 8601 time or unix milliseconds`);
  if (ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) throw invalid(field, `${field} must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z (unix ms 0..${MAX_INSTANT_MS})`);
  return Math.floor(ms);
}

function invalid(field: string, message: string): BadRequestException {
  return new BadRequestException({ message, errors: [{ field, message }] });
}

/** A stream entry id `<ms>-<seq>` a client may send back as a cursor: within the instant bounds. */
export function isValidStreamCursor(cursor: string): boolean {
  const match = /^(\d{1,16})-(\d{1,10})$/.exec(cursor);
  return match !== null && Number(match[1]) <= MAX_INSTANT_MS && Number(match[2]) <= 4_294_967_295;
}
