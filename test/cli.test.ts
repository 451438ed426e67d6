import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { freePort, run } from './helpers/process.ts';
import { createTestDatabase } from './helpers/services.ts';

// The CLI as operators run it: a process, its output and its exit status.
let scratch: string;
let closedUrl: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'amrutam-cli-'));
  closedUrl = `postgres://postgres@127.0.0.1:${await freePort()}/nothing`; // nothing listens there
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

const cli = async (args: string[], env: Record<string, string>) => {
  const proc = run('src/cli.ts', args, { LOG_LEVEL: 'silent', ...env });
  return { code: await proc.exit, output: proc.output() };
};
/** What a failure printed, as lines (stdout and stderr together). */
const lines = (output: string) => output.trim().split('\n');

describe('help and wrong usage', () => {
  it('--help, -h and `help <command>` print the usage with every option and exit 0, opening nothing', async () => {
    // A database that can't be reached and a data directory that doesn't exist: help must need neither.
    const env = { DATABASE_URL: closedUrl, DATA_DIR: path.join(scratch, 'never') };
    const top = await Promise.all([['--help'], ['-h'], ['help']].map((args) => cli(args, env)));
    for (const { code, output } of top) {
      expect(code).toBe(0);
      expect(output).toMatch(/^Usage: npm run cli -- <command>/);
      for (const command of COMMANDS) expect(output).toContain(`\n  ${command.name}`);
      expect(output).toContain('--verbose');
    }
    const each = await Promise.all(COMMANDS.map((c) => cli([c.name, '--help'], env)));
    for (const [i, { code, output }] of each.entries()) {
      const command = COMMANDS[i]!;
      expect(code, output).toBe(0);
      expect(output).toMatch(new RegExp(`^Usage: npm run cli -- ${command.name}`));
      for (const option of Object.keys(command.options ?? {})) expect(output).toContain(`--${option}`);
    }
    // The other two ways of asking say the same.
    const [short, named] = await Promise.all([
      cli(['seed-demo', '-h'], env),
      cli(['help', 'seed-demo'], env),
    ]);
    expect(short).toEqual(each[COMMANDS.findIndex((c) => c.name === 'seed-demo')]);
    expect(named).toEqual(short);
    expect(existsSync(env.DATA_DIR)).toBe(false);
  });

  it('an unknown command or option, or a bad value, is one line that points at the help, exit 1', async () => {
    const env = { DATABASE_URL: closedUrl, DATA_DIR: path.join(scratch, 'never') };
    const [command, typo, option, extra, missing, early, weak] = await Promise.all([
      cli(['frobnicate'], env),
      cli(['seed-dmo'], env),
      cli(['seed-demo', '--bogus'], env),
      cli(['migrate', 'now'], env),
      cli(['create-admin', '--name', 'Ops'], env),
      cli(['--bogus'], env),
      cli(['create-admin', '--email', 'ops@example.test', '--password', '1234567890'], env),
    ]);
    expect(lines(command.output)).toEqual(['unknown command "frobnicate"; see npm run cli -- --help']);
    expect(lines(typo.output)).toEqual([
      'unknown command "seed-dmo" (did you mean seed-demo?); see npm run cli -- --help',
    ]);
    expect(lines(option.output)).toEqual([
      "seed-demo: Unknown option '--bogus'; see npm run cli -- seed-demo --help",
    ]);
    expect(lines(extra.output)).toEqual([
      "migrate: Unexpected argument 'now'; see npm run cli -- migrate --help",
    ]);
    expect(lines(missing.output)).toEqual([
      'create-admin: needs --email and a password (ADMIN_PASSWORD or --password); see npm run cli -- create-admin --help',
    ]);
    expect(lines(early.output)).toHaveLength(1);
    expect(lines(weak.output)).toEqual([
      'create-admin: choose another password: it is one of the most common passwords; see npm run cli -- create-admin --help',
    ]);
    for (const r of [command, typo, option, extra, missing, early, weak]) expect(r.code).toBe(1);
  });

  it('a database that does not answer is one line naming it, without a stack; --verbose adds the error', async () => {
    const env = { DATABASE_URL: closedUrl, DATA_DIR: scratch };
    const port = new URL(closedUrl).port;
    const [migrate, demo, verbose] = await Promise.all([
      cli(['migrate'], env),
      cli(['seed-demo'], env),
      cli(['migrate', '--verbose'], env),
    ]);
    for (const r of [migrate, demo]) {
      expect(r.code).toBe(1);
      expect(lines(r.output)).toEqual([
        `cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): connection refused (is it running?)`,
      ]);
    }
    expect(verbose.code).toBe(1);
    expect(verbose.output).toMatch(/ECONNREFUSED[\s\S]*\n\s+at /);
  });
});

describe('seed-demo', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase(); // empty: seed-demo migrates it
    env = { DATABASE_URL: db.url, DATA_DIR: path.join(scratch, 'pg') };
  });
  afterAll(async () => {
    await t?.close();
    await db.drop();
  });

  /** The sign-ins the table printed: `role email password …` lines. */
  const logins = (output: string) =>
    [...output.matchAll(/^ {2}(admin|doctor|patient) +(\S+@\S+) +(\S+) +(\S+)/gm)].map((m) => ({
      role: m[1]!,
      email: m[2]!,
      password: m[3]!,
      status: m[4]!,
    }));

  it('on an empty PostgreSQL database: verified doctors with open slots, and sign-ins that work', {
    timeout: 60_000,
  }, async () => {
    const first = await cli(['seed-demo'], env);
    expect(first.code, first.output).toBe(0);
    const accounts = logins(first.output);
    expect(accounts.map((a) => a.role)).toEqual([
      'admin',
      ...Array(accounts.length - 2).fill('doctor'),
      'patient',
    ]);
    expect(accounts.length).toBeGreaterThanOrEqual(5); // 3–5 doctors
    expect(accounts.every((a) => a.status === 'created' && a.password === 'namaste-amrutam')).toBe(true);
    expect(first.output).toContain('npm start');
    expect(first.output).toContain('http://localhost:3000/api-docs');
    expect(first.output).toContain('--password');

    // The product, started on that database, sees what a user would.
    t = await startTestApp({ env: { DATABASE_URL: db.url } });
    const search = await t.inject({ method: 'GET', url: '/api/v1/doctors?limit=100' });
    expect(search.statusCode, search.body).toBe(200);
    const doctors = search.json().items as Array<{
      id: string;
      feeMinor: number;
      verificationStatus: string;
    }>;
    expect(doctors).toHaveLength(accounts.length - 2);
    expect(doctors.every((d) => d.verificationStatus === 'verified')).toBe(true);
    expect(doctors.some((d) => d.feeMinor === 0)).toBe(true);
    for (const doctor of doctors) {
      const slots = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` });
      expect(slots.statusCode, slots.body).toBe(200);
      expect(slots.json().items.length, doctor.id).toBeGreaterThan(0); // within the next 7 days
    }
    for (const { email, password, role } of accounts) {
      const login = await t.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password },
      });
      expect(login.statusCode, `${email}: ${login.body}`).toBe(200);
      expect(login.json().user.role).toBe(role);
    }

    // Again: nothing new, nothing duplicated, and it says so.
    const counts = async () =>
      (
        await sql<{ users: number; schedules: number; slots: number }>`
          SELECT (SELECT count(*)::int FROM users) AS users,
                 (SELECT count(*)::int FROM doctor_schedules) AS schedules,
                 (SELECT count(*)::int FROM slots) AS slots`.execute(t.platform.db)
      ).rows[0]!;
    const before = await counts();
    const second = await cli(['seed-demo'], env);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(`(0 created, ${accounts.length} existed)`);
    expect(logins(second.output)).toEqual(accounts.map((a) => ({ ...a, status: 'existed' })));
    expect(await counts()).toEqual(before);
  });

  it('in embedded mode, in a fresh DATA_DIR', { timeout: 60_000 }, async () => {
    const dataDir = path.join(scratch, 'embedded');
    const embedded = await cli(['seed-demo', '--password', 'a demo password'], { DATA_DIR: dataDir });
    expect(embedded.code, embedded.output).toBe(0);
    expect(embedded.output).toMatch(/created, 0 existed\); \d+ verified doctors with [\d,]+ open slots/);
    expect(embedded.output).toContain('a demo password');
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(true);
  });
});
