import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import Redis from 'ioredis';
import { ADMIN_TOKEN, REDIS_URL, deleteKeys, freePort, sleep, waitFor } from '../utils/hub-test-app';
import { HttpSink } from '../utils/http-sink';
import { HubProcess } from '../utils/hub-process';
import { RELIABILITY_DIR, recordReliability } from '../utils/reliability-report';
import { sha256Header } from '../utils/signatures';

jest.setTimeout(300_000);

const SECRET = 'shutdown-bridge-secret';
const EVENTS = 1_000;
const RATE_PER_SECOND = 50;

/**
 * SIGTERM to the hub `npm start` runs (gateway and worker in one process) while events keep coming:
 * it stops accepting, finishes what it acknowledged, exits; started again, it delivers every event
 * that got a 2xx. Senders resend what was refused or not answered, as the platforms do.
 */
describe('graceful shutdown under load', () => {
  const prefix = `shutdown-${randomBytes(3).toString('hex')}`;
  const sink = new HttpSink();
  const agent = new Agent({ connections: 32 });
  let hub: HubProcess;

  afterAll(async () => {
    await hub?.stop('SIGKILL');
    await sink.stop();
    await agent.close();
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `{${prefix}}:*`).catch(() => undefined);
    redis.disconnect();
  });

  it('delivers every acknowledged event after a SIGTERM and a restart', async () => {
    await sink.start();
    const port = await freePort();
    const start = () => new HubProcess({
      HUB_ROLE: 'all', HUB_PREFIX: prefix, REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn',
      WHATSAPP_WEBHOOK_SECRET: SECRET, ALLOW_PRIVATE_TARGETS: 'true', RATE_LIMIT_PER_SOURCE: '1000000',
    }, join(RELIABILITY_DIR, 'shutdown-hub.log')).start();
    hub = await start();
    const base = `http://127.0.0.1:${port}`;
    const created = await request(`${base}/api/v1/subscriptions`, {
      method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: sink.url('/shutdown'), events: ['whatsapp.*'], retrySchedule: [1, 1, 2, 5] }),
    });
    expect(created.statusCode).toBe(201);
    await created.body.dump();
    // Deliveries take a while, so jobs are in flight when the signal comes.
    sink.reply = () => ({ status: 200, delayMs: 30 });

    const acked = new Map<number, string>();
    let resent = 0;
    const send = async (n: number) => {
      const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `s-${n}` } });
      for (let tries = 0; tries < 400 && !acked.has(n); tries++) {
        if (tries > 0) {
          resent++;
          await sleep(100);
        }
        const res = await request(`${base}/webhooks/whatsapp`, {
          method: 'POST', dispatcher: agent, headersTimeout: 5_000, bodyTimeout: 5_000,
          headers: { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, body) }, body,
        }).catch(() => undefined);
        if (!res) continue;
        const answer = (await res.body.json().catch(() => ({}))) as { accepted?: string[]; id?: string };
        if (res.statusCode >= 200 && res.statusCode < 300) acked.set(n, answer.accepted?.[0] ?? answer.id ?? '');
      }
    };

    const started = Date.now();
    const senders: Promise<void>[] = [];
    let stoppedInMs = 0;
    const restart = sleep((0.4 * EVENTS * 1000) / RATE_PER_SECOND).then(async () => {
      const at = Date.now();
      await hub.stop('SIGTERM');
      stoppedInMs = Date.now() - at;
      hub = await start();
    });
    for (let n = 0; n < EVENTS; n++) {
      const due = started + (n * 1000) / RATE_PER_SECOND;
      if (due > Date.now()) await sleep(due - Date.now());
      senders.push(send(n));
    }
    await restart;
    await Promise.all(senders);

    const delivered = () => new Set(sink.received.map((r) => JSON.parse(r.body).id as string));
    const ids = [...acked.values()];
    const all = await waitFor(async () => ids.every((id) => delivered().has(id)), 60_000, 250);
    const missing = ids.filter((id) => !delivered().has(id));
    const duplicates = sink.received.length - delivered().size;
    process.stdout.write(`graceful shutdown: ${EVENTS} sent, ${acked.size} acknowledged, ${resent} resends, exit took ${stoppedInMs} ms, ${missing.length} missing, ${duplicates} duplicates\n`);
    recordReliability('graceful-shutdown', {
      title: 'SIGTERM under load',
      order: 15,
      summary: { eventsUnderLoad: acked.size, faultsSurvived: 1, eventsLost: missing.length, recovery: [`SIGTERM under load: exit ${stoppedInMs} ms`] },
      method: `${EVENTS} signed events at ${RATE_PER_SECOND}/s to one hub process (gateway and worker, as npm start runs it); SIGTERM at 40 % of the load, started again once it exited; senders resend what was refused or unanswered.`,
      figures: [
        ['events acknowledged with 2xx', acked.size],
        ['resends while the process was stopping or down', resent],
        ['time from SIGTERM to exit', `${stoppedInMs} ms`],
        ['acknowledged but not delivered (lost)', missing.length],
        ['delivered more than once', duplicates],
      ],
    });
    expect(acked.size).toBe(EVENTS);
    expect(missing).toEqual([]);
    expect(all).toBe(true);
  });
});
