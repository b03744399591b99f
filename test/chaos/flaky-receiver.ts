import { createHash } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the receiver does with one attempt. */
export type Behaviour = 'ok' | 'error' | 'timeout' | 'drop';

export interface ReceivedAttempt {
  at: number;
  eventId: string;
  /** Attempt number as the hub counts it: 1 + X-Webhook-Retry-Count. */
  attempt: number;
  behaviour: Behaviour;
}

/**
 * A receiver that fails about half of the first attempts: 500s, answers slower than the hub's
 * delivery timeout, and connections dropped mid-request. The behaviour is a function of (event,
 * attempt number), so an attempt a crashed worker repeats meets the same fate, and the hub's attempt
 * log can be checked against it. From the fourth attempt on, everything succeeds.
 */
export class FlakyReceiver {
  readonly attempts: ReceivedAttempt[] = [];
  /** Event id → times it was answered 2xx. */
  readonly delivered = new Map<string, number>();
  private server?: Server;

  constructor(private readonly timeoutMs: number) {}

  static behaviourOf(eventId: string, attempt: number): Behaviour {
    if (attempt >= 4) return 'ok';
    const byte = createHash('sha1').update(`${eventId}#${attempt}`).digest()[0];
    if (byte % 2 === 0) return 'ok';
    return (['error', 'timeout', 'drop'] as const)[byte % 3];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/flaky`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    req.on('end', () => {
      const eventId = String(req.headers['webhook-id'] ?? '');
      const attempt = 1 + Number(req.headers['x-webhook-retry-count'] ?? 0);
      const behaviour = FlakyReceiver.behaviourOf(eventId, attempt);
      this.attempts.push({ at: Date.now(), eventId, attempt, behaviour });
      switch (behaviour) {
        case 'ok':
          this.delivered.set(eventId, (this.delivered.get(eventId) ?? 0) + 1);
          res.writeHead(200).end('ok');
          return;
        case 'error':
          res.writeHead(500).end('flaky');
          return;
        case 'timeout':
          setTimeout(() => res.writeHead(200).end('too late'), this.timeoutMs * 2).unref();
          return;
        case 'drop':
          req.socket.destroy();
          return;
      }
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
