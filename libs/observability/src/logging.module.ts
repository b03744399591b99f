import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HubConfig } from '@hub/config';

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

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [HubConfig],
      useFactory: (config: HubConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          base: { service: 'webhook-hub', role: config.role },
          redact: {
            paths: [
              ...REDACTED_HEADERS.map((h) => `req.headers["${h}"]`),
              '*.secret',
              '*.token',
              '*.adminToken',
            ],
            censor: '[redacted]',
          },
          autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
          serializers: {
            req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({
              id: req.id,
              method: req.method,
              url: (req.url ?? '').split('?')[0],
              headers: req.headers,
            }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
