import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import Redis from 'ioredis';
import { ADMIN_TOKEN, freePort, sleep, waitFor } from '../utils/hub-test-app';
import { HubProcess } from '../utils/hub-process';
import { DedicatedRedis } from '../utils/redis-server';
import { RELIABILITY_DIR, recordReliability } from '../utils/reliability-report';
import { sha256Header } from '../utils/signatures';
import { FlakyReceiver } from './flaky-receiver';

jest.setTimeout(600_000);

const SECRET = 'chaos-whatsapp-secret';
const EVENTS = Number(process.env.CHAOS_EVENTS ?? 2400);
const RATE_PER_SECOND = 40;
const DELIVERY_TIMEOUT_MS = 1_500;

interface Sent {
  n: number;
  firstTriedAt: number;
  ackedAt?: number;
  eventId?: string;
  tries: number;
}

/**
 * The chaos run (npm run test:chaos): a gateway and a worker as separate processes on a Redis of
 * their own (append-only file, fsync always), a steady stream of signed events, a receiver that fails
 * half of the first attempts, and, during the load, SIGKILL of the worker, SIGKILL of the gateway and
 * a Redis killed and started again. Every event that got a 2xx must reach the receiver; duplicates
 * and recovery times are reported (docs/reliability.md).
 */
describe('chaos: crashes, a Redis restart and a flaky receiver under steady load', () => {
  const redis = new DedicatedRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction']);
  const receiver = new FlakyReceiver(DELIVERY_TIMEOUT_MS);
  const prefix = `chaos-${randomBytes(3).toString('hex')}`;
  const logs = join(RELIABILITY_DIR, 'chaos-logs');
  let port: number;
  let gateway: HubProcess;
  const workers: HubProcess[] = [];
  let admin: Redis | undefined;
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { timeout: 2_000 } });

  const env = (role: string, extra: Record<string, string> = {}): Record<string, string> => ({
    HUB_ROLE: role,
    HUB_PREFIX: prefix,
    REDIS_URL: redis.url,
    HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    WHATSAPP_WEBHOOK_SECRET: SECRET,
    ALLOW_PRIVATE_TARGETS: 'true',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
    DELIVERY_CONCURRENCY: '64',
    DELIVERY_LOCK_MS: '5000',
    RATE_LIMIT_PER_SOURCE: '1000000',
    ...extra,
  });
  const startWorker = async (name: string) => {
    const worker = new HubProcess(env('worker', { PORT: '0', STREAM_CONSUMER_NAME: name }), join(logs, `${name}.log`));
    workers.push(worker);
    return worker.start();
  };
  const startGateway = () => new HubProcess(env('gateway', { PORT: String(port) }), join(logs, 'gateway.log')).start();

  afterAll(async () => {
    await Promise.all([gateway?.stop('SIGKILL'), ...workers.map((w) => w.stop('SIGKILL'))]);
    admin?.disconnect();
    await receiver.stop();
    await redis.stop();
    await agent.close();
  });

  it('delivers every acknowledged event, with a true attempt log, through SIGKILLs and a Redis restart', async () => {
    await redis.start();
    await receiver.start();
    port = await freePort();
    gateway = await startGateway();
    await startWorker('worker-1');
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await request(`${base}/api/v1/subscriptions`, {
      method: 'POST', headers: auth, dispatcher: agent,
      body: JSON.stringify({ url: receiver.url(), events: ['whatsapp.*'], retrySchedule: [1, 1, 2, 2, 3, 5, 5, 5] }),
    });
    expect(created.statusCode).toBe(201);
    const subscription = (await created.body.json()) as { id: string };

    // A sender as the platforms are: on a refusal or no answer, it sends the same signed body again.
    const sent: Sent[] = [];
    const send = async (n: number) => {
      const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `chaos-${n}`, text: `event ${n}` } });
      const record: Sent = { n, firstTriedAt: Date.now(), tries: 0 };
      sent.push(record);
      while (record.ackedAt === undefined && Date.now() - record.firstTriedAt < 120_000) {
        record.tries++;
        try {
          const res = await request(`${base}/webhooks/whatsapp`, {
            method: 'POST', dispatcher: agent, headersTimeout: 5_000, bodyTimeout: 5_000,
            headers: { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, body) },
            body,
          });
          const answer = (await res.body.json().catch(() => ({}))) as { accepted?: string[]; id?: string };
          if (res.statusCode >= 200 && res.statusCode < 300) {
            record.ackedAt = Date.now();
            record.eventId = answer.accepted?.[0] ?? answer.id;
            break;
          }
          if (res.statusCode < 500 && res.statusCode !== 429) throw new Error(`event ${n} refused: ${res.statusCode} ${JSON.stringify(answer)}`);
        } catch (error) {
          if ((error as Error).message.startsWith(`event ${n} refused`)) throw error;
        }
        await sleep(250);
      }
    };

    const faults: { fault: string; at: number; recoveredAt?: number; measure: string; backlogClearedAt?: number }[] = [];
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    const plan = [
      { atShare: 0.2, run: async () => {
        const at = Date.now();
        await workers[0].stop('SIGKILL');
        faults.push({ fault: 'SIGKILL worker (a new worker starts 2 s later)', at, measure: 'until the receiver got again what was sent after the kill' });
        await sleep(2_000);
        await startWorker('worker-2');
      } },
      { atShare: 0.45, run: async () => {
        const at = Date.now();
        await gateway.stop('SIGKILL');
        faults.push({ fault: 'SIGKILL gateway (restarted 2 s later)', at, measure: 'until ingress answered 2xx again' });
        await sleep(2_000);
        gateway = await startGateway();
      } },
      { atShare: 0.7, run: async () => {
        const at = Date.now();
        await redis.kill();
        faults.push({ fault: 'SIGKILL redis-server (restarted 2 s later, AOF fsync always)', at, measure: 'until ingress answered 2xx again' });
        await sleep(2_000);
        await redis.start();
      } },
    ];
    // Faults at fixed shares of the load, so each one meets traffic whatever CHAOS_EVENTS is.
    const loadMs = (EVENTS * 1_000) / RATE_PER_SECOND;
    const faultRuns: Promise<void>[] = plan.map((f) => sleep(f.atShare * loadMs).then(f.run));
    for (let n = 0; n < EVENTS; n++) {
      const due = started + (n * 1_000) / RATE_PER_SECOND;
      if (due > Date.now()) await sleep(due - Date.now());
      inFlight.push(send(n));
    }
    await Promise.all(faultRuns);
    await Promise.all(inFlight);
    const loadSeconds = (Date.now() - started) / 1_000;

    const acked = sent.filter((s) => s.ackedAt !== undefined);
    const notAcked = sent.length - acked.length;
    expect(acked.every((s) => s.eventId)).toBe(true);
    const all = await waitFor(async () => acked.every((s) => receiver.delivered.has(s.eventId!)), 240_000, 500);
    const missing = acked.filter((s) => !receiver.delivered.has(s.eventId!));

    // Recovery: ingress faults from the first 2xx after the fault; the worker fault from the first
    // delivery of an event first sent after the kill.
    for (const f of faults) {
      if (f.fault.includes('worker')) {
        const after = acked.filter((s) => s.firstTriedAt > f.at).map((s) => s.eventId!);
        const firstAt = receiver.attempts.filter((a) => a.behaviour === 'ok' && after.includes(a.eventId)).reduce((m, a) => Math.min(m, a.at), Infinity);
        f.recoveredAt = firstAt;
        // What the dead worker held or had not read yet: everything acknowledged before the kill.
        const before = new Set(acked.filter((s) => s.ackedAt! < f.at).map((s) => s.eventId!));
        f.backlogClearedAt = receiver.attempts.filter((a) => a.behaviour === 'ok' && before.has(a.eventId)).reduce((m, a) => Math.max(m, a.at), 0);
      } else {
        f.recoveredAt = acked.filter((s) => s.ackedAt! > f.at).reduce((m, s) => Math.min(m, s.ackedAt!), Infinity);
      }
    }

    // The attempt log tells the truth: every attempt it records reached the receiver with that
    // attempt number, and its outcome is what the receiver did.
    admin = new Redis(redis.url);
    const mismatches: string[] = [];
    let checkedAttempts = 0;
    const seen = new Set(receiver.attempts.map((a) => `${a.eventId}#${a.attempt}`));
    for (const s of acked) {
      const deliveryId = `dlv_${s.eventId!.replace(/^evt_/, '')}_${subscription.id.replace(/^sub_/, '')}`;
      const [record, log] = await Promise.all([
        admin.hget(`{${prefix}}:delivery:${deliveryId}`, 'status'),
        admin.lrange(`{${prefix}}:delivery:${deliveryId}:attempts`, 0, -1),
      ]);
      if (record !== 'succeeded') mismatches.push(`${deliveryId}: status ${record}`);
      for (const json of log) {
        const attempt = JSON.parse(json) as { attempt: number; statusCode?: number; errorKind?: string };
        checkedAttempts++;
        const behaviour = FlakyReceiver.behaviourOf(s.eventId!, attempt.attempt);
        const truthful =
          seen.has(`${s.eventId}#${attempt.attempt}`) &&
          (behaviour === 'ok' ? attempt.statusCode === 200 && !attempt.errorKind
            : behaviour === 'error' ? attempt.statusCode === 500 && attempt.errorKind === 'http'
            : behaviour === 'timeout' ? attempt.errorKind === 'timeout'
            : attempt.errorKind !== undefined && attempt.errorKind !== 'http');
        if (!truthful) mismatches.push(`${deliveryId} attempt ${attempt.attempt}: logged ${json}, receiver did ${behaviour}`);
      }
    }
    const duplicates = [...receiver.delivered.values()].reduce((sum, times) => sum + times - 1, 0);
    const failedFirstAttempts = receiver.attempts.filter((a) => a.attempt === 1 && a.behaviour !== 'ok').length;
    const firstAttempts = receiver.attempts.filter((a) => a.attempt === 1).length;
    const retriedBySender = acked.filter((s) => s.tries > 1).length;
    const ms = (f: (typeof faults)[number]) => (Number.isFinite(f.recoveredAt!) ? `${((f.recoveredAt! - f.at) / 1000).toFixed(1)} s` : 'never');

    const report = {
      events: sent.length, acknowledged: acked.length, notAcknowledged: notAcked, lost: missing.length, duplicates,
      loadSeconds, retriedBySender, checkedAttempts, mismatches: mismatches.length,
      faults: faults.map((f) => ({ fault: f.fault, recovery: ms(f), measure: f.measure, ...(f.backlogClearedAt ? { backlogClearedAfterMs: f.backlogClearedAt - f.at } : {}) })),
    };
    process.stdout.write(`chaos: ${JSON.stringify(report, null, 2)}\n`);
    recordReliability('chaos', {
      title: 'Chaos run: crashes, a Redis restart and a flaky receiver',
      order: 10,
      summary: { eventsUnderLoad: acked.length, faultsSurvived: faults.length, eventsLost: missing.length, recovery: faults.map((f) => `${f.fault}: ${ms(f)}`) },
      method:
        `${sent.length} signed WhatsApp events at ${RATE_PER_SECOND}/s to a gateway process, a worker process, a redis-server with ` +
        `appendfsync always; the receiver fails ${Math.round((100 * failedFirstAttempts) / Math.max(1, firstAttempts))} % of first attempts ` +
        `(500, answers after the ${DELIVERY_TIMEOUT_MS} ms timeout, dropped connections); senders resend on a refusal or no answer, as the platforms do.`,
      figures: [
        ['events sent', sent.length],
        ['acknowledged with 2xx', acked.length],
        ['acknowledged after the sender resent (during faults)', retriedBySender],
        ['never acknowledged', notAcked],
        ['acknowledged but not delivered (lost)', missing.length],
        ['delivered more than once (duplicates, at-least-once)', duplicates],
        ['attempt-log entries checked against the receiver', checkedAttempts],
        ['attempt-log entries that disagree with the receiver', mismatches.length],
        ...faults.map((f): [string, string] => [`recovery after ${f.fault}`, `${ms(f)} (${f.measure})`]),
        ...faults.filter((f) => f.backlogClearedAt).map((f): [string, string] => [
          'last delivery of an event acknowledged before the worker was killed',
          `${((f.backlogClearedAt! - f.at) / 1000).toFixed(1)} s after the kill (includes the receiver's failed attempts and their retry waits)`,
        ]),
      ],
    });

    expect(faults.map((f) => `${f.fault}: ${ms(f)}`).filter((line) => line.endsWith('never'))).toEqual([]);
    expect(notAcked).toBe(0);
    expect(missing.map((s) => s.eventId)).toEqual([]);
    expect(all).toBe(true);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
