import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestHub, startHub } from './utils/hub-test-app';

const run = promisify(execFile);

/** The curl example in README.md, run as written against a live hub. */
function readmeExample(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const match = /<!-- readme-example:start -->\s*```bash\n([\s\S]*?)```\s*<!-- readme-example:end -->/.exec(readme);
  if (!match) throw new Error('README.md lost its readme-example block');
  return match[1];
}

describe('README example', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('readme', { WHATSAPP_APP_SECRET: 'dev_app_secret', HUB_ADMIN_TOKEN: 'dev-admin-token-0123456789' });
  });
  afterAll(() => hub.close());

  it('signs, sends, deduplicates and reads back a WhatsApp delivery', async () => {
    const { port } = hub.app.getHttpServer().address() as AddressInfo;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', readmeExample()], {
      env: { ...process.env, HUB_URL: `http://127.0.0.1:${port}` },
    });
    const [first, second, list] = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(first.accepted).toHaveLength(1);
    expect(second).toEqual({ duplicate: true, id: first.accepted[0], ids: first.accepted });
    expect(list.data[0]).toMatchObject({ id: first.accepted[0], type: 'whatsapp.message.received', subject: '16505551234' });
  });
});
