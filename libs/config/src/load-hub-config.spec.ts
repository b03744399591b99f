import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, knownVariables, loadHubConfig, parseSecretList } from './load-hub-config';

describe('loadHubConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadHubConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'hub',
      role: 'all',
      maxBodyBytes: 4 * 1024 * 1024,
      dedupeTtlSeconds: 72 * 3600,
      allowPrivateTargets: false,
      mcpAuth: 'token',
      adminTokenGenerated: true,
    });
    expect(config.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(config.runsGateway && config.runsWorker).toBe(true);
  });

  it('names the bad variable in one message', () => {
    expect(() => loadHubConfig({ PORT: 'abc' })).toThrow(new ConfigError('Invalid configuration: PORT must be an integer number (got "abc")'));
    expect(() => loadHubConfig({ HUB_ROLE: 'both' })).toThrow(/^Invalid configuration: HUB_ROLE must be one of the following values: gateway, worker, all/);
    expect(() => loadHubConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('never echoes a secret value in an error', () => {
    const err = (() => {
      try {
        loadHubConfig({ HUB_ADMIN_TOKEN: 'short-secret' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe('Invalid configuration: HUB_ADMIN_TOKEN must be at least 16 characters');
  });

  it('refuses WEBHOOK_VALIDATION_ENABLED=false unless HOST is loopback, as MCP_AUTH=off', () => {
    expect(() => loadHubConfig({ WEBHOOK_VALIDATION_ENABLED: 'false' })).toThrow(/WEBHOOK_VALIDATION_ENABLED=false is only allowed when HOST is a loopback address/);
    expect(loadHubConfig({ WEBHOOK_VALIDATION_ENABLED: 'false', HOST: '127.0.0.1' }).makecom.validationEnabled).toBe(false);
    expect(loadHubConfig({}).makecom).toMatchObject({ validationEnabled: true, timeoutSeconds: 30 });
    expect(() => loadHubConfig({ WEBHOOK_TIMEOUT_SECONDS: '0' })).toThrow(/WEBHOOK_TIMEOUT_SECONDS/);
  });

  it('reads the approval and Telegram bot settings; a malformed bot token is refused without echoing it', () => {
    const config = loadHubConfig({ TELEGRAM_BOT_TOKEN: '123456:ABCdefGHIjklMNOpqr', TELEGRAM_APPROVAL_CHAT_ID: '-1001234567890', APPROVAL_TTL_SECONDS: '3600' });
    expect(config.telegram).toMatchObject({ botToken: '123456:ABCdefGHIjklMNOpqr', approvalChatId: '-1001234567890', apiUrl: 'https://api.telegram.org' });
    expect(config.approvals.ttlSeconds).toBe(3600);
    expect(loadHubConfig({}).approvals.ttlSeconds).toBe(86_400);
    let message = '';
    try {
      loadHubConfig({ TELEGRAM_BOT_TOKEN: 'not a token secret-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration: TELEGRAM_BOT_TOKEN/);
    expect(message).not.toContain('secret-value');
  });

  it('refuses MCP_AUTH=off unless HOST is loopback', () => {
    expect(() => loadHubConfig({ MCP_AUTH: 'off' })).toThrow(/MCP_AUTH=off is only allowed when HOST is a loopback address/);
    expect(loadHubConfig({ MCP_AUTH: 'off', HOST: '127.0.0.1' }).mcpAuth).toBe('off');
  });

  it('reads comma-separated secret lists for rotation', () => {
    const config = loadHubConfig({ WHATSAPP_APP_SECRET: ' new , old,,', HUB_ADMIN_TOKEN: 'x'.repeat(20) });
    expect(config.whatsapp.appSecrets).toEqual(['new', 'old']);
    expect(config.adminTokenGenerated).toBe(false);
    expect(parseSecretList(undefined)).toEqual([]);
  });
});

describe('Redis connection', () => {
  it('is one Redis at REDIS_URL by default, with its credentials and TLS', () => {
    expect(loadHubConfig({ REDIS_URL: 'rediss://ops:s%40cret@redis.internal:6380' }).redis).toEqual({
      url: 'rediss://ops:s%40cret@redis.internal:6380', username: 'ops', password: 's@cret', tls: true,
    });
  });

  it('is a cluster with REDIS_CLUSTER_NODES seeds, REDIS_PASSWORD and REDIS_TLS', () => {
    const config = loadHubConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' });
    expect(config.redis).toMatchObject({ clusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }], password: 'pw', tls: true });
    expect(() => loadHubConfig({ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000' })).toThrow(/REDIS_CLUSTER_NODES/);
  });
});

describe('.env.example', () => {
  it('documents every variable the hub reads', () => {
    const example = readFileSync(join(__dirname, '../../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = knownVariables().filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});

describe('HUB_WORKER_PROCESS', () => {
  it('forks the worker half by default for role all, and only for role all', () => {
    const config = loadHubConfig({});
    expect(config).toMatchObject({ workerProcess: 'fork', workerForked: false, forksWorker: true });
    // Built in-process (the tests, the stdio MCP server), a role-all app still runs both halves: only main.ts forks.
    expect(config.runsGateway && config.runsWorker).toBe(true);
    config.workerForked = true;
    expect([config.runsGateway, config.runsWorker]).toEqual([true, false]);
    expect(loadHubConfig({ HUB_WORKER_PROCESS: 'inline' }).forksWorker).toBe(false);
    expect(loadHubConfig({ HUB_WORKER_PROCESS: '' }).workerProcess).toBe('fork');
    expect(loadHubConfig({ HUB_ROLE: 'gateway' }).forksWorker).toBe(false);
    expect(loadHubConfig({ HUB_ROLE: 'worker', HUB_WORKER_PROCESS: 'fork' }).forksWorker).toBe(false);
  });

  it('refuses anything but fork or inline, naming the variable', () => {
    expect(() => loadHubConfig({ HUB_WORKER_PROCESS: 'threads' })).toThrow(
      new ConfigError('Invalid configuration: HUB_WORKER_PROCESS must be "fork" (the worker half in its own process, the default) or "inline" (gateway and worker in one process) (got "threads")'),
    );
  });
});
