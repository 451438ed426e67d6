import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drill, formatReport } from '../src/db/backup/drill.ts';
import { readHeader } from '../src/db/backup/format.ts';
import { takeManifest } from '../src/db/backup/manifest.ts';
import { contentsOf } from '../src/db/backup/pg-tools.ts';
import { createPostgresDb, type Db } from '../src/platform/db/index.ts';
import { auditServiceOf } from '../src/services.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { emptyTables, fillEveryTable } from './helpers/every-table.ts';
import { run } from './helpers/process.ts';
import { createTestDatabase, REDIS_URL } from './helpers/services.ts';

// Issue 10, item 5: backups of PostgreSQL (pg_dump in one snapshot, optionally encrypted),
// restores that refuse to write over data, and the drill: it passes on a database with rows in
// every table, and fails when the restored copy lost a row or had its audit chain rewritten.
let t: TestApp;
let out: string;
/** What the CLI needs to act on the test app's database (its keys and audit checkpoint included). */
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  await fillEveryTable(t);
  out = await mkdtemp(path.join(tmpdir(), 'amrutam-backups-'));
  env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: t.platform.config.dataDir,
    DATABASE_URL: t.platform.config.databaseUrl!,
    REDIS_URL,
    REDIS_KEY_PREFIX: t.platform.config.redisKeyPrefix,
  };
}, 120_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
  await t.close();
});

const auditOf = (db: Db) => auditServiceOf(t.platform, db);
const manifestOf = (db: Db) => takeManifest(db, (d) => auditOf(d).state());
const cli = async (args: string[], extra: Record<string, string> = {}) => {
  const proc = run('src/cli.ts', args, { ...env, ...extra });
  return { code: await proc.exit, output: proc.output() };
};
/** Makes a backup through the CLI; its path. */
async function backupFile(extra: Record<string, string> = {}): Promise<string> {
  const made = await cli(['backup', '--out', out], extra);
  expect(made.code, made.output).toBe(0);
  return /^backup: (\S+) \(/m.exec(made.output)![1]!;
}
/** The row counts of the database at `url`. */
async function countsAt(url: string) {
  const { db } = createPostgresDb(url, 1);
  try {
    return (await manifestOf(db)).tables;
  } finally {
    await db.destroy();
  }
}

describe('the drill', () => {
  it('passes on a database with data in every table', async () => {
    expect(await emptyTables(t.platform.db)).toEqual([]);
    const source = await manifestOf(t.platform.db);
    const report = await drill({ platform: t.platform, auditOf });
    expect(report.comparison.differences).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.comparison.migrations.current).toBe(true);
    expect(report.comparison.tables.map((x) => [x.name, x.found])).toEqual(Object.entries(source.tables));
    expect(report.copyChain).toMatchObject({ ok: true, checked: source.audit.head!.seq });
    expect(formatReport(report)).toMatch(/result\s+OK/);
  });

  it('fails when a row is removed from the restored copy', async () => {
    const report = await drill({
      platform: t.platform,
      auditOf,
      tamper: (copy) =>
        sql`DELETE FROM payment_events WHERE event_id = (SELECT min(event_id) FROM payment_events)`
          .execute(copy)
          .then(),
    });
    expect(report.ok).toBe(false);
    expect(report.comparison.differences).toEqual([
      expect.stringMatching(/^table payment_events: (\d+) rows in the copy, \d+ in the source$/),
    ]);
    expect(formatReport(report)).toMatch(/payment_events.*DIFFERENT[\s\S]*result\s+FAILED/);
  });

  it('fails when the copy’s audit chain was rewritten (its rows all there)', async () => {
    const report = await drill({
      platform: t.platform,
      auditOf,
      tamper: async (copy) => {
        await sql`ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only`.execute(copy);
        await sql`UPDATE audit_logs SET ip = '10.9.9.9' WHERE seq = 2`.execute(copy);
      },
    });
    expect(report.ok).toBe(false);
    expect(report.comparison.differences).toEqual([
      'audit chain of the copy does not verify: row 2 does not match its hash',
      'audit chain verifies on the source only',
    ]);
  });

  it('runs as a command: a fresh backup restored and compared, the report printed, exit 0', async () => {
    const { code, output } = await cli(['backup-verify']);
    expect(code, output).toBe(0);
    expect(output).toMatch(/migrations\s+current/);
    expect(output).toMatch(/users\s+\d+ \/\s+\d+\n/);
    expect(output).toMatch(/result\s+OK/);
    // The scratch database is gone.
    const left = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'amrutam_drill_%'`.execute(t.platform.db);
    expect(left.rows[0]!.n).toBe(0);
  });
});

describe('restore', () => {
  it('refuses a non-empty target without --force; restores an empty one; --force replaces one', async () => {
    const file = await backupFile();
    const { header } = await readHeader(file);
    expect(header).toMatchObject({ format: 'pg_dump-custom', encryption: null });
    const into = await cli(['restore', file, '--into', env.DATABASE_URL!]);
    expect(into.code).toBe(1);
    expect(into.output).toMatch(/^restore: database \S+ is not empty \(\d+ tables\): .*without --force\n$/);

    const target = await createTestDatabase();
    try {
      const first = await cli(['restore', file, '--into', target.url]);
      expect(first.code, first.output).toBe(0);
      expect(await countsAt(target.url)).toEqual(header.manifest.tables);
      expect((await cli(['restore', file, '--into', target.url])).code).toBe(1);
      const { db } = createPostgresDb(target.url, 1);
      await sql`CREATE TABLE stray (x int); DELETE FROM payment_events`
        .execute(db)
        .finally(() => db.destroy());
      const forced = await cli(['restore', file, '--into', target.url, '--force']);
      expect(forced.code, forced.output).toBe(0);
      expect(forced.output).toContain('replacing what the target held');
      expect(await countsAt(target.url)).toEqual(header.manifest.tables); // no stray, the events back
    } finally {
      await target.drop();
    }
  });

  it('an encrypted backup round-trips; without its key, with another, or altered, it restores nothing', async () => {
    const key = `b1:${randomBytes(32).toString('base64')}`;
    const file = await backupFile({ BACKUP_ENCRYPTION_KEY: key });
    const { header, payloadOffset } = await readHeader(file);
    expect(header.encryption).toMatchObject({ alg: 'AES-256-GCM', keyId: 'b1' });
    const bytes = await readFile(file);
    expect(bytes.subarray(payloadOffset).includes('PGDMP')).toBe(false); // pg_dump's archive magic

    const target = await createTestDatabase();
    try {
      const none = await cli(['restore', file, '--into', target.url]);
      expect(none.output).toBe(
        'restore: the backup is encrypted with key "b1": set BACKUP_ENCRYPTION_KEY to it\n',
      );
      const other = `b1:${randomBytes(32).toString('base64')}`;
      const wrong = await cli(['restore', file, '--into', target.url], { BACKUP_ENCRYPTION_KEY: other });
      expect(wrong.code).toBe(1);
      expect(wrong.output).toMatch(/does not decrypt at chunk 0: wrong key, or the file was altered/);
      const altered = path.join(out, 'altered.backup');
      const copy = Buffer.from(bytes);
      copy[payloadOffset + 70_000]! ^= 1; // in the second chunk
      await writeFile(altered, copy);
      const bad = await cli(['restore', altered, '--into', target.url], { BACKUP_ENCRYPTION_KEY: key });
      expect(bad.code).toBe(1);
      expect(bad.output).toMatch(/does not decrypt at chunk 1/);
      expect(await contentsOf(target.url)).toEqual({ tables: 0, relations: 0 }); // all or nothing

      const good = await cli(['restore', file, '--into', target.url], {
        BACKUP_ENCRYPTION_KEY: `${other.replace('b1', 'b2')},${key}`,
      });
      expect(good.code, good.output).toBe(0);
      expect(await countsAt(target.url)).toEqual(header.manifest.tables);
      const verified = await cli(['backup-verify', file], { BACKUP_ENCRYPTION_KEY: key });
      expect(verified.code, verified.output).toBe(0);
      expect(verified.output).toContain('encrypted with key "b1"');
    } finally {
      await target.drop();
    }
  });
});

describe('the commands', () => {
  it('say what they do with --help, without a database; bad arguments get one line and the usage', async () => {
    for (const command of ['backup', 'restore', 'backup-verify']) {
      const help = run('src/cli.ts', [command, '--help'], {});
      expect(await help.exit).toBe(0);
      expect(help.output()).toContain(`Usage: npm run cli -- ${command}`);
    }
    const usage = run('src/cli.ts', ['--help'], {});
    await usage.exit;
    expect(usage.output()).toMatch(/backup-verify \[FILE\]/);
    const missing = await cli(['restore', 'some.backup']);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/^restore needs FILE and --into TARGET\nUsage/);
    const unknown = await cli(['backup', '--into', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/^backup: Unknown option '--into'/);
    const nothing = await cli(['restore', path.join(out, 'none.backup'), '--into', env.DATABASE_URL!]);
    expect(nothing.output).toMatch(/^restore: \S+none\.backup: no such file\n$/);
  });
});
