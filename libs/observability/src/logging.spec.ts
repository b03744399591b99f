import { Logger as NestLogger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Logger, PinoLogger } from 'nestjs-pino';
import { prettyDestination, prettyMessage, resolveLogFormat } from './log-format';
import { createHubLogger } from './logging.module';
import { accessLevel, requestIdOf, requestLoggingMiddleware } from './request-logging';

/** A hub logger writing JSON lines into an array. */
function capture(logLevel: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createHubLogger({ logLevel, role: 'all' }, 'json', sink) };
}

/** Just enough of IncomingMessage and ServerResponse for the request logging. */
function fakeExchange(url: string, headers: Record<string, string> = {}) {
  const req = Object.assign(new EventEmitter(), { method: 'POST', url, headers }) as never as Parameters<ReturnType<typeof requestLoggingMiddleware>>[0];
  const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: false }) as never as Parameters<ReturnType<typeof requestLoggingMiddleware>>[1] & EventEmitter;
  const end = (statusCode: number) => {
    Object.assign(res, { statusCode, writableFinished: true });
    res.emit('close');
  };
  return { req, res, end };
}

describe('LOG_FORMAT', () => {
  it('is pretty on a terminal and JSON otherwise, unless told', () => {
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat(' Pretty ', false)).toBe('pretty');
    expect(() => resolveLogFormat('loud', false)).toThrow('LOG_FORMAT must be "pretty", "json" or "auto" (got "loud")');
  });
});

describe('prettyMessage', () => {
  it('shows the context, the message and the few useful fields, not the rest', () => {
    const line = prettyMessage({ context: 'DeliveryProcessor', msg: 'gave up', deliveryId: 'dlv_1', eventId: 'evt_1', secretish: 'x', headers: { a: 1 } });
    expect(line).toBe('[DeliveryProcessor] gave up eventId=evt_1 deliveryId=dlv_1');
  });

  it('does not repeat what the message says, quotes values with spaces and keeps to one line', () => {
    const line = prettyMessage({ context: 'WebhookAuthGuard', msg: 'refused a whatsapp request: bad\nsignature', source: 'whatsapp', reason: 'not in it', requestId: 7 });
    expect(line).toBe('[WebhookAuthGuard] refused a whatsapp request: bad signature requestId=7 reason="not in it"');
  });

  it('shows an access line as method, path, status and duration', () => {
    const line = prettyMessage({ msg: 'request completed', requestId: 3, req: { id: 3, method: 'POST', url: '/webhooks/whatsapp', headers: {} }, res: { statusCode: 401 }, responseTime: 4 });
    expect(line).toBe('request completed POST /webhooks/whatsapp 401 (4 ms) requestId=3');
  });

  it('writes one line per record through pino-pretty', () => {
    let out = '';
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((out += chunk.toString('utf8')), done()) });
    const logger = createHubLogger({ logLevel: 'info', role: 'all' }, 'pretty', prettyDestination(sink));
    logger.warn({ context: 'IngestService', source: 'whatsapp', reason: 'invalid JSON', requestId: 2, req: { headers: { cookie: 'c' } } }, 'refused a whatsapp request: invalid JSON');
    logger.info({ context: 'RouterExplorer' }, 'Mapped {/x, POST} route');
    logger.error({ err: new Error('boom') }, 'failed');
    const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[IngestService\] refused a whatsapp request: invalid JSON requestId=2$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: failed err="boom"$/),
      '',
    ]);
  });

  it('names the error of a record that has no message', () => {
    expect(prettyMessage({ context: 'X', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n  at x' } })).toBe('[X] boom');
    expect(prettyMessage({ msg: 'failed', err: { message: 'boom' } })).toBe('failed err="boom"');
  });
});

describe('the hub logger', () => {
  it("logs Nest's route and module lines at debug, not info", () => {
    const info = capture('info');
    info.logger.info({ context: 'RouterExplorer' }, 'Mapped {/webhooks/whatsapp, POST} route');
    info.logger.info({ context: 'InstanceLoader' }, 'HubModule dependencies initialized');
    info.logger.info({ context: 'RoutesResolver' }, 'WhatsAppController {/webhooks/whatsapp}:');
    info.logger.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(info.lines.map((l) => l.msg)).toEqual(['Nest application successfully started']);

    const debug = capture('debug');
    debug.logger.info({ context: 'RouterExplorer' }, 'Mapped {/webhooks/whatsapp, POST} route');
    expect(debug.lines).toEqual([expect.objectContaining({ level: 20, context: 'RouterExplorer', msg: 'Mapped {/webhooks/whatsapp, POST} route' })]);
  });

  it('takes fields through Nest\'s Logger and nestjs-pino (the first argument an object)', () => {
    const { lines, logger } = capture('info');
    NestLogger.overrideLogger(new Logger(new PinoLogger({ pinoHttp: { logger } }), {}));
    try {
      new NestLogger('DeliveryProcessor').error({ deliveryId: 'dlv_1', eventId: 'evt_1' }, 'delivery dlv_1 gave up');
      new NestLogger('WebhookAuthGuard').warn({ source: 'whatsapp', reason: 'bad', requestId: 4 }, 'refused a whatsapp request: bad');
    } finally {
      NestLogger.overrideLogger(true);
    }
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, context: 'DeliveryProcessor', deliveryId: 'dlv_1', eventId: 'evt_1', msg: 'delivery dlv_1 gave up' }),
      expect.objectContaining({ level: 40, context: 'WebhookAuthGuard', source: 'whatsapp', reason: 'bad', requestId: 4, msg: 'refused a whatsapp request: bad' }),
    ]);
  });
});

describe('request logging', () => {
  it('makes no child logger and writes nothing for a request when the levels are off', () => {
    const { lines, logger } = capture('warn');
    const child = jest.spyOn(logger, 'child');
    const middleware = requestLoggingMiddleware(logger);
    for (const status of [200, 202, 401, 413]) {
      const { req, res, end } = fakeExchange('/webhooks/whatsapp', { 'x-webhook-signature': 'sha256=abc' });
      middleware(req, res, () => undefined);
      end(status);
    }
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('serves requests outside any log context at warn, where the lines about a request name it themselves', () => {
    const { lines, logger } = capture('warn');
    const middleware = requestLoggingMiddleware(logger);
    const { req, res, end } = fakeExchange('/webhooks/whatsapp');
    middleware(req, res, () => logger.warn({ requestId: requestIdOf(req) }, 'refused'));
    middleware(fakeExchange('/webhooks/whatsapp').req, res, () => logger.warn('inside, unnamed'));
    end(401);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'refused', requestId: 1 }),
      { level: 40, time: expect.any(Number), service: 'webhook-hub', role: 'all', msg: 'inside, unnamed' },
    ]);
  });

  it('gives each request an id, on every line logged while serving it and on its access line', () => {
    const { lines, logger } = capture('info');
    const middleware = requestLoggingMiddleware(logger);
    const first = fakeExchange('/api/v1/events?token=abc', { authorization: 'Bearer s3cret', cookie: 'c=1' });
    const second = fakeExchange('/webhooks/whatsapp');
    middleware(first.req, first.res, () => logger.warn('inside the first'));
    middleware(second.req, second.res, () => undefined);
    logger.warn('outside');
    first.end(401);
    second.end(202);
    expect(requestIdOf(first.req)).toBe(1);
    expect(requestIdOf(second.req)).toBe(2);
    expect(requestIdOf({ id: 'req-1', raw: { id: 'req-9' } })).toBe('req-9');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'inside the first', requestId: 1 }),
      { level: 40, time: expect.any(Number), service: 'webhook-hub', role: 'all', msg: 'outside' },
      // 202 is debug: not written at info.
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        requestId: 1,
        req: { id: 1, method: 'POST', url: '/api/v1/events', headers: { authorization: '[redacted]', cookie: '[redacted]' } },
        res: { statusCode: 401 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('keeps probes out, and grades access lines by status', () => {
    const { lines, logger } = capture('trace');
    const middleware = requestLoggingMiddleware(logger);
    for (const url of ['/health', '/health/ready', '/metrics', '/healthz']) {
      const { req, res, end } = fakeExchange(url);
      middleware(req, res, () => undefined);
      end(200);
    }
    expect(lines.map((l) => (l.req as { url: string }).url)).toEqual(['/healthz']);
    expect([accessLevel(200, true), accessLevel(304, true), accessLevel(404, true), accessLevel(500, true), accessLevel(503, true), accessLevel(0, false)]).toEqual(['debug', 'debug', 'info', 'error', 'warn', 'debug']);
  });
});
