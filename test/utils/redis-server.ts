import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, waitFor } from './hub-test-app';

/**
 * A redis-server of the test's own on a spare loopback port, for outages the shared Redis must not
 * suffer: kill it, start it again on the same port and data directory, make it busy.
 */
export class DedicatedRedis {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
  port = 0;

  constructor(private readonly extraArgs: string[] = []) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...this.extraArgs], { stdio: 'ignore' });
    const probe = new Redis(this.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    try {
      const up = await waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', 15_000, 50);
      if (!up) throw new Error(`redis-server on port ${this.port} did not answer within 15 s`);
      // Loading an append-only file answers LOADING until done; wait for real readiness.
      await waitFor(async () => /loading:0/.test(await probe.info('persistence').catch(() => '')), 15_000, 50);
    } finally {
      probe.disconnect();
    }
    return this;
  }

  /** Ends the server at once (SIGKILL: no final save), and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered, as with a hung host. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
