import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestHub, startHub } from './utils/hub-test-app';

/**
 * `npm run simulate` (scripts/simulate.js) run as a human would: a child process with the secrets in
 * its environment (or a .env in its working directory), against the real hub in this process.
 */
const SCRIPT = join(__dirname, '..', 'scripts', 'simulate.js');
const PROVIDERS = ['digitalsamba', 'makecom', 'tavus', 'whatsapp', 'cctelegram', 'telegram'] as const;

/** What the hub is configured with. */
const SECRETS: Record<string, string> = {
  DIGITAL_SAMBA_WEBHOOK_TOKEN: 'sim-samba-token-4f1c9a',
  DIGITAL_SAMBA_WEBHOOK_SECRET: 'sim-samba-hmac-8d2e7b',
  MAKE_COM_API_KEY: 'sim-make-apikey-3a9f01',
  MAKE_COM_WEBHOOK_SECRET: 'sim-make-hmac-c47e52',
  TAVUS_WEBHOOK_TOKEN: 'sim-tavus-url-token-91bd',
  TAVUS_WEBHOOK_SECRET: 'sim-tavus-hmac-0e6a3c',
  WHATSAPP_APP_SECRET: 'sim-meta-app-secret-5b7d',
  WHATSAPP_WEBHOOK_SECRET: 'sim-bridge-secret-e2c4',
  CCTELEGRAM_WEBHOOK_SECRET: 'sim-cctelegram-secret-7f3a',
  TELEGRAM_SECRET_TOKEN: 'sim_Tg-Secret_42x',
};

/**
 * What the script is given: rotation lists whose first value is the hub's and whose second the hub
 * does not know, so a passing run proves the first one signs.
 */
const ROTATED: Record<string, string> = Object.fromEntries(Object.entries(SECRETS).map(([name, value]) => [name, `${value}, retired-${value}`]));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('npm run simulate (scripts/simulate.js)', () => {
  let hub: TestHub;
  let url: string;
  let cwd: string;

  beforeAll(async () => {
    hub = await startHub('simulate', SECRETS);
    const { port } = hub.app.getHttpServer().address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => hub.close());

  // A fresh working directory per test: the script reads ./.env, and the repository's own must not leak in.
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'simulate-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  function simulate(args: string[], env: Record<string, string> = ROTATED): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [SCRIPT, ...args], {
        cwd,
        env: { HOME: process.env.HOME ?? '/tmp', PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** The status line and the parsed reply body that follows it. */
  function reply(run: Run): { status: number; body: Record<string, unknown> } {
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((line) => /^HTTP \d{3}\b/.test(line));
    if (at < 0) throw new Error(`no status line in:\n${run.stdout}\n${run.stderr}`);
    return { status: Number(lines[at].slice(5, 8)), body: JSON.parse(lines[at + 1]) as Record<string, unknown> };
  }

  /** The hub stored something new: Make.com answers with the processed result, the others list the new event ids. */
  function storedNew(provider: string, body: Record<string, unknown>): boolean {
    if (body.duplicate !== undefined) return false;
    if (provider === 'makecom') return body.status === 'processed';
    return Array.isArray(body.accepted) && body.accepted.length > 0 && body.accepted.every((id) => /^evt_/.test(String(id)));
  }

  it.each(PROVIDERS)('%s: signs the default sample, the hub stores it (exit 0, 200/202)', async (provider) => {
    const run = await simulate([provider, '--url', url, '--unique']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^HTTP (200|202) /m);
    const { body } = reply(run);
    expect(storedNew(provider, body)).toBe(true);
    if (provider === 'makecom') expect(body.client_id).toMatch(/^client-123/);
    // The script prints what it sent, never a secret (the Tavus URL token included).
    for (const secret of Object.values(SECRETS)) expect(run.stdout).not.toContain(secret);
  }, 30_000);

  it.each([
    ['digitalsamba', 'platform-participant-joined', 'X-DigitalSamba-Signature', { DIGITAL_SAMBA_WEBHOOK_SECRET: SECRETS.DIGITAL_SAMBA_WEBHOOK_SECRET }],
    ['digitalsamba', 'document-session-started', 'X-DigitalSamba-Signature', { WEBHOOK_SECRET: SECRETS.DIGITAL_SAMBA_WEBHOOK_SECRET }],
    ['makecom', 'seed-curl-test-client', 'X-Hub-Signature-256', { MAKE_COM_WEBHOOK_SECRET: SECRETS.MAKE_COM_WEBHOOK_SECRET }],
    ['tavus', 'real-transcription-ready', '?t=<TAVUS_WEBHOOK_TOKEN>', { TAVUS_WEBHOOK_TOKEN: SECRETS.TAVUS_WEBHOOK_TOKEN }],
    ['tavus', 'doc-conversation-message', 'x-tavus-signature', { TAVUS_WEBHOOK_SECRET: SECRETS.TAVUS_WEBHOOK_SECRET }],
    ['whatsapp', 'bridge-seed-messages-upsert', 'X-Webhook-Signature', { WHATSAPP_WEBHOOK_SECRET: SECRETS.WHATSAPP_WEBHOOK_SECRET }],
    ['whatsapp', 'meta-two-messages-one-status', 'X-Hub-Signature-256', { WHATSAPP_APP_SECRET: SECRETS.WHATSAPP_APP_SECRET }],
    ['cctelegram', 'doc-user-response', 'X-CCTelegram-Signature', { CCTELEGRAM_WEBHOOK_SECRET: SECRETS.CCTELEGRAM_WEBHOOK_SECRET }],
    ['cctelegram', 'doc-health-update', 'X-CCTelegram-Signature', { CCTELEGRAM_WEBHOOK_SECRET: SECRETS.CCTELEGRAM_WEBHOOK_SECRET }],
    ['telegram', 'callback-query', 'X-Telegram-Bot-Api-Secret-Token', { TELEGRAM_SECRET_TOKEN: SECRETS.TELEGRAM_SECRET_TOKEN }],
  ])('%s %s with only its own credential: sends %s', async (provider, sample, scheme, env) => {
    const run = await simulate([provider, sample, `--url=${url}`, '--unique'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(scheme);
    expect(reply(run).status).toBeGreaterThanOrEqual(200);
    expect(reply(run).status).toBeLessThan(300);
    expect(storedNew(provider, reply(run).body)).toBe(true);
  }, 30_000);

  it('the same sample twice answers "duplicate" the second time; with --unique each run is a new event', async () => {
    const first = await simulate(['telegram', 'channel-post', '--url', url]);
    const again = await simulate(['telegram', 'channel-post', '--url', url]);
    expect([first.code, again.code]).toEqual([0, 0]);
    expect(reply(first).status).toBe(202);
    expect(reply(again)).toEqual({ status: 200, body: expect.objectContaining({ duplicate: true, id: (reply(first).body.accepted as string[])[0] }) });
    expect(again.stdout).toContain('--unique');

    const a = await simulate(['cctelegram', 'vector-event-processed', '--url', url, '--unique']);
    const b = await simulate(['cctelegram', 'vector-event-processed', '--url', url, '--unique']);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(storedNew('cctelegram', reply(a).body) && storedNew('cctelegram', reply(b).body)).toBe(true);
    expect(reply(a).body.accepted).not.toEqual(reply(b).body.accepted);
    expect(a.stdout).toMatch(/unique {2}event\.id "evt_abc123def456" → "evt_abc123def456-sim[0-9a-f]{8}"/);
  }, 30_000);

  it('reads secrets and the hub URL from ./.env (comments, quotes); the environment wins over it', async () => {
    writeFileSync(
      join(cwd, '.env'),
      [
        '# a .env as a human writes it',
        `PUBLIC_URL=${url}   # the hub under test`,
        `export TELEGRAM_SECRET_TOKEN="${SECRETS.TELEGRAM_SECRET_TOKEN}"`,
        `CCTELEGRAM_WEBHOOK_SECRET='not-the-hubs-secret'`,
        '',
      ].join('\n'),
    );
    const fromFile = await simulate(['telegram', '--unique'], {});
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain(`POST ${url}/webhooks/telegram`);
    expect(reply(fromFile).status).toBe(202);

    const envWins = await simulate(['cctelegram', '--unique'], { CCTELEGRAM_WEBHOOK_SECRET: SECRETS.CCTELEGRAM_WEBHOOK_SECRET });
    expect(envWins.code).toBe(0);
    expect(storedNew('cctelegram', reply(envWins).body)).toBe(true);

    // And the .env value alone is the wrong secret: the hub refuses it, the script exits 2 with the hub's answer.
    const wrong = await simulate(['cctelegram', '--unique'], {});
    expect(wrong.code).toBe(2);
    expect(reply(wrong)).toEqual({ status: 401, body: expect.objectContaining({ message: 'invalid X-CCTelegram-Signature signature' }) });
  }, 30_000);

  it('--list prints every provider with its samples and the credential each needs', async () => {
    const run = await simulate(['--list'], {});
    expect(run.code).toBe(0);
    for (const provider of PROVIDERS) expect(run.stdout).toMatch(new RegExp(`^${provider} {2}POST /`, 'm'));
    for (const sample of ['seed-chatgpt-clients', 'doc-conversation-tool-called', 'doc-event-processed', 'document-participant-joined', 'meta-text-message', 'reference-message']) {
      expect(run.stdout).toMatch(new RegExp(`^ {2}\\* ${sample} `, 'm'));
    }
    for (const variable of ['DIGITAL_SAMBA_WEBHOOK_TOKEN', 'MAKE_COM_API_KEY', 'TAVUS_WEBHOOK_SECRET', 'WHATSAPP_APP_SECRET', 'WHATSAPP_WEBHOOK_SECRET', 'CCTELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_SECRET_TOKEN']) {
      expect(run.stdout).toContain(variable);
    }
    expect(run.stdout).toContain('not ready: set TELEGRAM_SECRET_TOKEN');

    const configured = await simulate(['--list', 'telegram']);
    expect(configured.stdout).toContain('ready: sends X-Telegram-Bot-Api-Secret-Token');
    expect(configured.stdout).not.toMatch(/^digitalsamba/m);
  }, 30_000);

  it('a missing secret exits 1 with one line naming the variable, and sends nothing', async () => {
    const { TELEGRAM_SECRET_TOKEN: _dropped, ...withoutTelegram } = ROTATED;
    const telegram = await simulate(['telegram', '--url', url], withoutTelegram);
    expect(telegram.code).toBe(1);
    expect(telegram.stdout).toBe('');
    expect(telegram.stderr.trim().split('\n')).toHaveLength(1);
    expect(telegram.stderr).toContain('TELEGRAM_SECRET_TOKEN');

    const samba = await simulate(['digitalsamba', '--url', url], {});
    expect(samba.code).toBe(1);
    expect(samba.stderr).toMatch(/DIGITAL_SAMBA_WEBHOOK_TOKEN.*DIGITAL_SAMBA_WEBHOOK_SECRET/);

    const bridge = await simulate(['whatsapp', 'bridge-message-received', '--url', url], { WHATSAPP_APP_SECRET: SECRETS.WHATSAPP_APP_SECRET });
    expect(bridge.code).toBe(1);
    expect(bridge.stderr).toContain('WHATSAPP_WEBHOOK_SECRET');

    const both = await simulate(['makecom', '--url', url], { MAKE_COM_AUTH: 'both', MAKE_COM_API_KEY: SECRETS.MAKE_COM_API_KEY });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('MAKE_COM_WEBHOOK_SECRET');

    const unknown = await simulate(['telegram', 'no-such-sample', '--url', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('reference-message');
  }, 30_000);
});
