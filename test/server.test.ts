import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, run, runNpm, waitForGone, waitForReady } from './helpers/process.ts';
import { createTestDatabase, REDIS_URL, uniqueName } from './helpers/services.ts';

// The product as an operator runs it: real processes, real ports, signals.
describe('npm start', () => {
  let dataDir: string;
  /** Processes a failed test would otherwise leave running (they'd weigh on every later test). */
  const stopLater: Proc[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-server-'));
  });
  afterAll(async () => {
    for (const p of stopLater) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs on the embedded database with nothing else, persists data, and stops cleanly on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      BOOTSTRAP_ADMIN_EMAIL: 'ops@example.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'operator-password',
    };
    const first = run('src/server.ts', [], env);
    await waitForReady(`${base}/readyz`, first);
    expect(first.output()).toContain('database=embedded redis=off');
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks.database).toBe('ok (embedded)');

    const register = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'asha@example.test', password: 'a long password', name: 'Asha' }),
    });
    expect(register.status).toBe(201);
    const { accessToken } = (await register.json()) as { accessToken: string };

    // SIGTERM while a request is in flight: the request still gets its answer.
    const inFlight = fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.test', password: 'operator-password' }),
    });
    await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    expect(await first.exit).toBe(0);
    expect(first.output()).toContain('stopped');

    // Restart on the same folder: the account, the signing key and the admin are still there.
    const second = run('src/server.ts', [], env);
    await waitForReady(`${base}/readyz`, second);
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe('asha@example.test');
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('runs on PostgreSQL + Redis with just DATABASE_URL and REDIS_URL set', async () => {
    const db = await createTestDatabase();
    const pgDataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-pg-'));
    try {
      const port = await freePort();
      const env = {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: pgDataDir,
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: `${uniqueName('srv')}:`,
      };
      const server = run('src/server.ts', [], env);
      stopLater.push(server);
      await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
      expect(server.output()).toContain('database=postgres redis=on');
      expect(server.output()).toContain('"migration":"0001_foundation","status":"Success"');
      const register = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'pg@example.test', password: 'a long password', name: 'Pg' }),
      });
      expect(register.status).toBe(201);
      // The explicit release step reports nothing left to do.
      const migrate = run('src/cli.ts', ['migrate'], env);
      expect(await migrate.exit).toBe(0);
      expect(migrate.output()).toContain('up to date');
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
        checks: Record<string, string>;
      };
      expect(ready.checks).toMatchObject({ database: 'ok (postgres)', redis: 'ok' });
      // By default the API process runs the jobs itself: the registration's audit row gets sealed.
      expect(ready.checks.jobs).toMatch(/^ok \(a job runner was seen \d+ s ago\)$/);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const unsealed = async () =>
          (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_logs WHERE seq IS NULL'))
            .rows[0]!.n;
        for (let i = 0; i < 100 && (await unsealed()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await unsealed()).toBe(0);
      } finally {
        await client.end();
      }

      const worker = run('src/worker.ts', [], env);
      stopLater.push(worker);
      for (let i = 0; i < 150 && !worker.output().includes('worker started'); i++)
        await new Promise((r) => setTimeout(r, 100));
      worker.child.kill('SIGTERM');
      expect(await worker.exit, worker.output()).toBe(0);
      expect(worker.output()).toContain('worker started');

      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
    } finally {
      await rm(pgDataDir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('with RUN_JOBS=false and no worker, /readyz says nobody runs the jobs; once a worker runs, it says so', {
    timeout: 60_000,
  }, async () => {
    const db = await createTestDatabase();
    const jobsDataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-jobs-'));
    try {
      const port = await freePort();
      const env = {
        HOST: '127.0.0.1',
        DATA_DIR: jobsDataDir,
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: `${uniqueName('jobs')}:`,
      };
      const server = run('src/server.ts', [], { ...env, PORT: String(port), RUN_JOBS: 'false' });
      await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
      const jobsCheck = async () =>
        ((await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: { jobs: string } })
          .checks.jobs;
      expect(await jobsCheck()).toMatch(/^none seen in 60 s: start `npm run worker` or set RUN_JOBS=true$/);
      const worker = run('src/worker.ts', [], env);
      for (let i = 0; i < 150 && !(await jobsCheck()).startsWith('ok'); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await jobsCheck()).toMatch(/^ok /);
      worker.child.kill('SIGTERM');
      server.child.kill('SIGTERM');
      expect(await worker.exit).toBe(0);
      expect(await server.exit).toBe(0);
    } finally {
      await rm(jobsDataDir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('refuses to start with a bad variable and names it', async () => {
    const proc = run('src/server.ts', [], {
      PORT: 'eighty',
      DATABASE_URL: 'mysql://nope',
      DATA_DIR: dataDir,
    });
    expect(await proc.exit).toBe(1);
    expect(proc.output()).toContain('PORT: must be a number');
    expect(proc.output()).toContain('DATABASE_URL: must be a URL');
  });

  it('the CLI creates an admin who can log in', async () => {
    const db = await createTestDatabase();
    const cliDataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-cli-'));
    try {
      const env = { DATA_DIR: cliDataDir, DATABASE_URL: db.url, ADMIN_PASSWORD: 'cli-admin-password' };
      expect(await run('src/cli.ts', ['migrate'], env).exit).toBe(0);
      const create = run(
        'src/cli.ts',
        ['create-admin', '--email', 'root@example.test', '--name', 'Root'],
        env,
      );
      expect(await create.exit).toBe(0);
      expect(create.output()).toMatch(/admin created: [0-9a-f-]{36}/);
      const again = run('src/cli.ts', ['create-admin', '--email', 'ROOT@example.test'], env);
      expect(await again.exit).toBe(1);
      expect(again.output()).toContain('already exists');
      const verify = run('src/cli.ts', ['audit-verify'], env);
      expect(await verify.exit).toBe(0);
      expect(verify.output()).toContain('"ok": true');
    } finally {
      await rm(cliDataDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});

describe('the process as people start it: `npm start`, signals, one process per embedded database', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-npm-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('npm start serves the web app at /; a second process on a running embedded database is refused with one line naming the first; SIGTERM to npm drains the server', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
    const npm = runNpm(['start'], env);
    await waitForReady(`${base}/readyz`, npm);
    // The README's first command brings up the web app at `/` beside the API.
    const home = await fetch(`${base}/`);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await home.text()).toContain('<div id="root"></div>');

    const second = run('src/server.ts', [], { ...env, PORT: String(await freePort()) });
    expect(await second.exit).toBe(1);
    const refusal = second.output().trim();
    expect(refusal.split('\n')).toHaveLength(1);
    expect(refusal).toMatch(/is open in process \d+ \(.*src\/server\.ts\)/);

    const cliEnv = { DATA_DIR: dataDir, ADMIN_PASSWORD: 'operator-password' };
    const admin = run('src/cli.ts', ['create-admin', '--email', 'ops@example.test'], cliEnv);
    expect(await admin.exit).toBe(1);
    expect(admin.output()).toMatch(
      /is open in process \d+.*BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD/,
    );
    expect(admin.output()).not.toContain('admin created');

    npm.child.kill('SIGTERM'); // what a terminal's Ctrl-C or a process manager sends to npm
    await npm.exit;
    await waitForGone(`${base}/readyz`);
    expect(npm.output()).toContain('"signal":"SIGTERM"');
    expect(npm.output()).toContain('stopped');

    // The lock went with the server: now the CLI may open the database.
    const again = run('src/cli.ts', ['create-admin', '--email', 'ops@example.test'], cliEnv);
    expect(await again.exit).toBe(0);
    expect(again.output()).toMatch(/admin created/);
  });

  it('if npm dies without passing a signal on (SIGKILL), the server stops instead of living on as an orphan', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const npm = runNpm(['start'], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
    await waitForReady(`${base}/readyz`, npm);
    npm.child.kill('SIGKILL');
    await waitForGone(`${base}/readyz`);
    // … and it drained and let go of the database.
    for (let i = 0; i < 100 && existsSync(`${path.join(dataDir, 'pgdata')}.lock`); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(existsSync(`${path.join(dataDir, 'pgdata')}.lock`)).toBe(false);
  });

  it('npm has no unreviewed install script to warn about', { timeout: 60_000 }, async () => {
    const check = runNpm(['approve-scripts', '--allow-scripts-pending'], {});
    expect(await check.exit).toBe(0);
    expect(check.output()).toContain('No packages with unreviewed install scripts');
  });

  it('a lock left by a process that died is taken over', { timeout: 60_000 }, async () => {
    await writeFile(
      `${path.join(dataDir, 'pgdata')}.lock`,
      JSON.stringify({ pid: 2 ** 22 + 1, command: 'gone' }),
    );
    const migrate = run('src/cli.ts', ['migrate'], { DATA_DIR: dataDir });
    expect(await migrate.exit).toBe(0);
  });
});
