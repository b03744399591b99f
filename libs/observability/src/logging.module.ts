import { Inject, Injectable, Module } from '@nestjs/common';
import { LoggerModule, PARAMS_PROVIDER_TOKEN, Params } from 'nestjs-pino';
import pino, { Logger, LoggerOptions } from 'pino';
import { HubConfig } from '@hub/config';
import { LogFormat, prettyDestination, resolveLogFormat } from './log-format';
import { currentRequestId, requestLoggingMiddleware, serializeRequest, serializeResponse } from './request-logging';

/**
 * Headers that carry secrets. Redacted from every log line; bodies are never logged and URLs are
 * logged without their query string (Tavus and others put tokens there).
 */
export const REDACTED_HEADERS = [
  'authorization',
  'cookie',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-webhook-signature',
  'x-make-apikey',
  'x-tavus-signature',
  'x-cctelegram-signature',
  'x-digitalsamba-signature',
  'x-telegram-bot-api-secret-token',
  'x-digitalsamba-api-key',
  'webhook-signature',
];

/** Nest's boot chatter (one line per route and per module), logged at debug rather than info. */
const FRAMEWORK_DEBUG_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader']);
const INFO = 30;

/**
 * The hub's root logger: LOG_LEVEL, LOG_FORMAT (pretty on a terminal, JSON otherwise), redaction,
 * the request id of the request being served on every line logged while serving it.
 */
export function createHubLogger(config: Pick<HubConfig, 'logLevel' | 'role'>, format: LogFormat = resolveLogFormat(process.env.LOG_FORMAT, Boolean(process.stdout.isTTY)), destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    base: { service: 'webhook-hub', role: config.role },
    redact: {
      paths: [...REDACTED_HEADERS.map((h) => `req.headers["${h}"]`), '*.secret', '*.token', '*.adminToken'],
      censor: '[redacted]',
    },
    serializers: { req: serializeRequest, res: serializeResponse, err: pino.stdSerializers.err },
    // Runs only for lines that are written (a level that is off costs nothing).
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
    hooks: {
      logMethod(args, method, level) {
        const first = args[0] as { context?: unknown } | undefined;
        if (level === INFO && typeof first === 'object' && first !== null && FRAMEWORK_DEBUG_CONTEXTS.has(first.context as string)) {
          return this.debug(...(args as [object, string]));
        }
        return method.apply(this, args);
      },
    },
  };
  if (destination) return pino(options, destination);
  return format === 'pretty' ? pino(options, prettyDestination()) : pino(options);
}

/**
 * The request logging (request-logging.ts), mounted by the app factory rather than through Nest's
 * MiddlewareConsumer: as the first app-wide Express middleware, or a Fastify onRequest hook. Nest's
 * every-route middleware was a path-matched router layer wrapped in Nest's middleware proxy on
 * Express, and @fastify/middie on Fastify; each ingress request paid for both (docs/performance.md).
 */
@Injectable()
export class RequestLogging {
  readonly middleware: ReturnType<typeof requestLoggingMiddleware>;

  constructor(@Inject(PARAMS_PROVIDER_TOKEN) params: Params) {
    this.middleware = requestLoggingMiddleware((params.pinoHttp as { logger: Logger }).logger);
  }
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [HubConfig],
      useFactory: (config: HubConfig): Params => ({
        // nestjs-pino's Logger (the app logger, and Nest's) writes through the hub's logger; the
        // request logging is the hub's own (below), so nestjs-pino's pino-http middleware is mounted nowhere.
        pinoHttp: { logger: createHubLogger(config) },
        forRoutes: [],
      }),
    }),
  ],
  providers: [RequestLogging],
  exports: [RequestLogging],
})
export class LoggingModule {}
