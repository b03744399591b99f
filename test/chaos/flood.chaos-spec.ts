import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import Redis from 'ioredis';
import { ADMIN_TOKEN, REDIS_URL, deleteKeys, freePort, sleep } from '../utils/hub-test-app';
import { HubProcess } from '../utils/hub-process';
import { RELIABILITY_DIR, recordReliability } from '../utils/reliability-report';
import { sha256Header } from '../utils/signatures';

jest.setTimeout(300_000);

const SECRET = 'flood-bridge-secret';
const FLOOD_SECONDS = 15;
const SIGNED_PER_SECOND = 20;

/**
 * An unsigned flood from one address (127.0.0.2, 32 connections as fast as they go) while a real
 * sender (127.0.0.1) keeps delivering signed events at a steady rate: every signed one is accepted.
 */
describe('flood: unsigned junk from one address while signed deliveries go on', () => {
  const prefix = `flood-${randomBytes(3).toString('hex')}`;
  let hub: HubProcess;
  const junkAgent = new Agent({ connections: 32, localAddress: '127.0.0.2' });
  const realAgent = new Agent({ connections: 8, localAddress: '127.0.0.1' });

  afterAll(async () => {
    await hub?.stop('SIGTERM');
    await Promise.all([junkAgent.close(), realAgent.close()]);
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `{${prefix}}:*`).catch(() => undefined);
    redis.disconnect();
  });

  it('accepts every signed delivery during the flood and stores none of the junk', async () => {
    const port = await freePort();
    hub = await new HubProcess({
      HUB_ROLE: 'gateway', HUB_PREFIX: prefix, REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(port),
      LOG_LEVEL: 'error', WHATSAPP_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_SOURCE: '600', RATE_LIMIT_WINDOW_MS: '60000',
    }, join(RELIABILITY_DIR, 'flood-hub.log')).start();
    const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
    const body = (id: string) => JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id } });

    const junk = new Map<number, number>();
    let flooding = true;
    const flooders = Array.from({ length: 32 }, async (_, w) => {
      for (let i = 0; flooding; i++) {
        const res = await request(url, { method: 'POST', dispatcher: junkAgent, headers: { 'content-type': 'application/json', 'x-webhook-signature': 'sha256=' + '0'.repeat(64) }, body: body(`junk-${w}-${i}`) })
          .catch(() => undefined);
        if (!res) continue;
        await res.body.dump();
        junk.set(res.statusCode, (junk.get(res.statusCode) ?? 0) + 1);
      }
    });

    const signed: number[] = [];
    const latencies: number[] = [];
    const started = Date.now();
    for (let n = 0; n < FLOOD_SECONDS * SIGNED_PER_SECOND; n++) {
      const due = started + (n * 1_000) / SIGNED_PER_SECOND;
      if (due > Date.now()) await sleep(due - Date.now());
      const payload = body(`real-${n}`);
      const sentAt = Date.now();
      const res = await request(url, { method: 'POST', dispatcher: realAgent, headers: { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, payload) }, body: payload });
      await res.body.dump();
      latencies.push(Date.now() - sentAt);
      signed.push(res.statusCode);
    }
    flooding = false;
    await Promise.all(flooders);

    const redis = new Redis(REDIS_URL);
    const stored = await redis.xlen(`{${prefix}}:events`);
    redis.disconnect();
    const junkTotal = [...junk.values()].reduce((a, b) => a + b, 0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const statuses = [...junk.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    process.stdout.write(`flood: ${junkTotal} unsigned (${statuses}); signed ${signed.filter((s) => s === 202).length}/${signed.length} accepted (${[...new Set(signed)].join(",")}); stored ${stored}\n`);
    recordReliability('flood', {
      title: 'Unsigned flood beside a real sender',
      order: 25,
      summary: { badInputs: junkTotal, eventsUnderLoad: signed.filter((s) => s === 202).length, eventsLost: signed.length - stored },
      method: `${FLOOD_SECONDS} s of unsigned POSTs from 127.0.0.2 over 32 connections, as fast as the gateway answers, while 127.0.0.1 sends ${SIGNED_PER_SECOND} signed events a second (RATE_LIMIT_PER_SOURCE 600 per minute).`,
      figures: [
        ['unsigned requests in the flood', junkTotal],
        ['their answers', statuses],
        ['signed deliveries accepted during the flood', `${signed.filter((s) => s === 202).length} of ${signed.length}`],
        ['signed delivery answer time under the flood, p50 / p99 (reported, not a target)', `${sorted[Math.floor(sorted.length / 2)]} ms / ${sorted[Math.floor(sorted.length * 0.99)]} ms`],
        ['events stored', `${stored} (the signed ones only)`],
      ],
    });
    expect(signed.every((s) => s === 202)).toBe(true);
    expect(stored).toBe(signed.length);
    expect([...junk.keys()].every((s) => s === 401 || s === 429)).toBe(true);
    expect(junkTotal).toBeGreaterThan(signed.length);
  });
});
