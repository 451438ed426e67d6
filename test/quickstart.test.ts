import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, type Proc, run, waitForReady } from './helpers/process.ts';

// The README's quick start, run as written against a fresh server in embedded mode: a newcomer gets
// an admin, a verified doctor and a paid booking without guessing.
let server: Proc;
let port: number;
let dataDir: string;
beforeAll(async () => {
  port = await freePort();
  dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-quickstart-'));
  server = run('src/server.ts', [], {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
    BOOTSTRAP_ADMIN_PASSWORD: 'a long password',
  });
  await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
}, 60_000);
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exit;
  await rm(dataDir, { recursive: true, force: true });
});

it('the README quick start books and pays, printing verified, captured, confirmed', async () => {
  const readme = await readFile(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
  const block = /<!-- quickstart -->\n```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
  expect(block, 'the README has a quick start block').toBeDefined();
  const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', block!], {
    env: { PATH: process.env.PATH ?? '', API: `http://127.0.0.1:${port}/api/v1` },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status, `${result.stdout}\n${result.stderr}\n${server.output()}`).toBe(0);
  expect(result.stdout.trim().split('\n')).toEqual(['verified', 'captured', 'confirmed']);
});
