import type { DestinationStream } from 'pino';

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT: `pretty` (one short line per record, for people), `json` (one JSON object per line,
 * for collectors) or `auto` (the default): pretty when stdout is a terminal, JSON otherwise.
 */
export function resolveLogFormat(value: string | undefined, stdoutIsTty: boolean): LogFormat {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'pretty' || v === 'json') return v;
  if (v === '' || v === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  throw new Error(`Invalid configuration: LOG_FORMAT must be "pretty", "json" or "auto" (got ${JSON.stringify(value)})`);
}

/** The fields a pretty line shows after the message, in this order (the rest of a record is left out). */
export const PRETTY_FIELDS = ['requestId', 'source', 'reason', 'detail', 'eventId', 'deliveryId', 'subscriptionId', 'errorId'] as const;

/**
 * The message part of a pretty line: `[context] message key=value ...`, with the request of an
 * access line as `METHOD /path status (n ms)`. A field whose value the message already says is not
 * repeated. Always one line: line breaks in a message become spaces.
 */
export function prettyMessage(log: Record<string, unknown>, messageKey = 'msg'): string {
  const parts: string[] = [];
  if (typeof log.context === 'string' && log.context) parts.push(`[${log.context}]`);
  const err = log.err as { message?: unknown } | undefined;
  const errMessage = err && typeof err === 'object' && typeof err.message === 'string' ? err.message : '';
  const message = String(log[messageKey] ?? errMessage).replace(/[\r\n]+/g, ' ');
  if (message) parts.push(message);
  if (errMessage && !message.includes(errMessage)) parts.push(`err=${JSON.stringify(errMessage)}`);
  const req = log.req as { method?: unknown; url?: unknown } | undefined;
  const res = log.res as { statusCode?: unknown } | undefined;
  if (req && typeof req === 'object' && typeof req.method === 'string' && typeof req.url === 'string') {
    const took = typeof log.responseTime === 'number' ? ` (${log.responseTime} ms)` : '';
    parts.push(`${req.method} ${req.url}${res && typeof res === 'object' ? ` ${String(res.statusCode)}` : ''}${took}`);
  }
  for (const key of PRETTY_FIELDS) {
    const value = log[key];
    if (value === undefined || value === null || value === '') continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (message.includes(text)) continue;
    parts.push(`${key}=${/^[\w.:/@+-]+$/.test(text) ? text : JSON.stringify(text)}`);
  }
  return parts.join(' ');
}

/**
 * The pretty destination: pino-pretty in this thread (a transport's worker could not take the
 * message function), writing synchronously to stdout. Loaded only when chosen: JSON costs nothing.
 */
export function prettyDestination(destination: number | NodeJS.WritableStream = 1): DestinationStream {
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    destination,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // The rest of a record is left out (hideObject); `singleLine` must stay off, pino-pretty 13.0 drops the line end with both.
    hideObject: true,
    messageFormat: (log, messageKey) => prettyMessage(log, messageKey),
  });
}
