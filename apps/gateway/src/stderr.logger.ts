import { ConsoleLogger, LogLevel } from '@nestjs/common';

/** LOG_LEVEL (pino's names) as the Nest levels it enables. */
const LEVELS: Record<string, LogLevel[]> = {
  silent: [],
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * Nest's console logger, but every line goes to stderr: under the stdio transport stdout carries
 * the MCP protocol, and one stray log line there breaks the client.
 */
export class StderrLogger extends ConsoleLogger {
  constructor(logLevel: string) {
    super({ prefix: 'webhook-hub-mcp', logLevels: LEVELS[logLevel] ?? LEVELS.info, colors: Boolean(process.stderr.isTTY) });
  }

  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}
