import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, TestHub, startHub } from './utils/hub-test-app';
import { mcpUrl } from './utils/mcp-client';

jest.setTimeout(60_000);

/**
 * The MCP Inspector CLI (0.15.0, the last release that runs on Node 20) as an outside client.
 * The `mcp-inspector` bin of @modelcontextprotocol/inspector imports commander without declaring
 * it, so here it gets @nestjs/cli's hoisted commander 4 and fails ("allowExcessArguments is not a
 * function"). The same files ship in its dependency @modelcontextprotocol/inspector-cli, which
 * declares commander 13: run that bin (`npx mcp-inspector-cli --cli ...`), read from its package.json.
 */
const MODULES = join(__dirname, '..', 'node_modules', '@modelcontextprotocol');
const readPackage = (name: string) => JSON.parse(readFileSync(join(MODULES, name, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const INSPECTOR_PKG = readPackage('inspector');
const CLI_PKG = readPackage('inspector-cli');
const INSPECTOR_BIN = join(MODULES, 'inspector-cli', CLI_PKG.bin['mcp-inspector-cli']);
/** The compiled stdio server (npm test builds it first, see "pretest"). */
const STDIO_ENTRY = join(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'mcp-stdio.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('MCP Inspector CLI 0.15.0 against the hub (Streamable HTTP and stdio)', () => {
  let open: TestHub;
  let guarded: TestHub;
  let home: string;

  function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      execFile(process.execPath, [INSPECTOR_BIN, '--cli', ...args], { env: { PATH: process.env.PATH ?? '', HOME: home, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /** `mcp-inspector-cli --cli <url>/mcp --transport http ...`, HOME in a temp dir (2.x writes there). */
  function inspector(hub: TestHub, args: string[]): Promise<CliRun> {
    return runCli([mcpUrl(hub).href, '--transport', 'http', ...args]);
  }

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hub-inspector-home-'));
    // 0.15.0 has no --header option, so it cannot send the bearer token: MCP_AUTH=off, which the
    // hub accepts only with HOST on loopback.
    open = await startHub('inspector', { MCP_AUTH: 'off', HOST: '127.0.0.1' });
    guarded = await startHub('inspector-auth');
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('is the pinned 0.15.0', () => {
    expect([INSPECTOR_PKG.version, CLI_PKG.version]).toEqual(['0.15.0', '0.15.0']);
  });

  it('tools/list exits 0 and lists the hub tools and the seed tools', async () => {
    const run = await inspector(open, ['--method', 'tools/list']);
    expect(run).toMatchObject({ code: 0 });
    const { tools } = JSON.parse(run.stdout) as { tools: { name: string; inputSchema: { type: string } }[] };
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['register_webhook', 'wait_for_event', 'list_sources', 'whatsapp_webhook_register', 'register-webhook']));
    expect(tools.every((t) => t.inputSchema.type === 'object')).toBe(true);
  });

  it('tools/call list_sources exits 0 with the sources', async () => {
    const run = await inspector(open, ['--method', 'tools/call', '--tool-name', 'list_sources']);
    expect(run).toMatchObject({ code: 0 });
    const result = JSON.parse(run.stdout) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBeFalsy();
    const sources = (JSON.parse(result.content[0].text) as { sources: { source: string }[] }).sources.map((s) => s.source);
    expect(sources).toEqual(expect.arrayContaining(['digitalsamba', 'makecom', 'tavus', 'whatsapp', 'telegram']));
  });

  it('tools/call with --tool-arg passes the argument (list_event_types for one source)', async () => {
    const run = await inspector(open, ['--method', 'tools/call', '--tool-name', 'list_event_types', '--tool-arg', 'source=whatsapp']);
    expect(run).toMatchObject({ code: 0 });
    const types = (JSON.parse(JSON.parse(run.stdout).content[0].text) as { eventTypes: { source: string; type: string }[] }).eventTypes;
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t.source === 'whatsapp')).toBe(true);
  });

  it('a tool error comes back as an isError result (0.x still exits 0 for it)', async () => {
    const run = await inspector(open, ['--method', 'tools/call', '--tool-name', 'get_event', '--tool-arg', 'id=evt_nope']);
    expect(run).toMatchObject({ code: 0 });
    const result = JSON.parse(run.stdout) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBe(true);
    expect(result.content[0].text).toContain('not found');
  });

  it('resources/list shows the hub resources', async () => {
    const run = await inspector(open, ['--method', 'resources/list']);
    expect(run).toMatchObject({ code: 0 });
    const uris = (JSON.parse(run.stdout) as { resources: { uri: string }[] }).resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['hub://webhooks', 'hub://stats', 'hub://events/whatsapp']));
  });

  it('without the bearer token a hub with MCP_AUTH=token refuses it: exit 1 and the 401 on stderr', async () => {
    const run = await inspector(guarded, ['--method', 'tools/list']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('register_webhook');
    expect(run.stderr).toMatch(/401|missing bearer token/);
  });

  it('stdio: spawns the compiled mcp-stdio entry and lists its tools', async () => {
    if (!existsSync(STDIO_ENTRY)) throw new Error(`${STDIO_ENTRY} is missing: run npm run build (npm test does it first)`);
    // Same prefix as the open hub, whose close() deletes the keys; the CLI passes its env to the server.
    const run = await runCli([process.execPath, STDIO_ENTRY, '--method', 'tools/list'], {
      REDIS_URL,
      HUB_PREFIX: open.config.prefix,
      LOG_LEVEL: 'warn',
    });
    expect(run).toMatchObject({ code: 0 });
    const names = (JSON.parse(run.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['register_webhook', 'wait_for_event', 'whatsapp_webhook_register']));
  });

  it('kept its hands off HOME', () => {
    // 2.x creates ~/.mcp-inspector; 0.15.0 writes nothing. Either way the real HOME was never offered.
    expect(readdirSync(home)).toEqual([]);
  });
});
