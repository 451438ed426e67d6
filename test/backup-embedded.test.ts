import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHeader } from '../src/db/backup/format.ts';
import { payloadOf } from '../src/db/backup/restore.ts';
import { lockDataDir } from '../src/platform/db/dir-lock.ts';
import { createEmbeddedDb } from '../src/platform/db/index.ts';
import { run } from './helpers/process.ts';

// Issue 10, item 5, embedded mode: `backup` snapshots the PGlite data directory (the CLI holds the
// database, so nothing writes meanwhile); PGlite opens the snapshot; the drill and a restore work
// on it; a server holding the database makes the CLI stop with one line.
let dataDir: string;
let env: Record<string, string>;
const cli = async (args: string[]) => {
  const proc = run('src/cli.ts', args, env);
  return { code: await proc.exit, output: proc.output() };
};
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-embedded-backup-'));
  env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir, ADMIN_PASSWORD: 'a long password' };
  const admin = await cli(['create-admin', '--email', 'ops@example.test', '--name', 'Ops']);
  expect(admin.code, admin.output).toBe(0);
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** The accounts' e-mails in an embedded database started from a snapshot or a directory. */
async function emailsIn(source: { tarball: Buffer } | { dir: string }): Promise<string[]> {
  const opened =
    'dir' in source
      ? await createEmbeddedDb(source.dir)
      : await createEmbeddedDb(undefined, { loadDataDir: new Blob([source.tarball]) });
  try {
    const { rows } = await sql<{ email: string }>`SELECT email::text FROM users`.execute(opened.db);
    return rows.map((r) => r.email);
  } finally {
    await opened.db.destroy();
    await opened.release();
  }
}

describe('embedded backup', () => {
  // Three CLI processes, each opening PGlite (~8 s apiece on two busy cores).
  it('is a snapshot of the data directory that PGlite opens; the drill passes; it restores into a directory', {
    timeout: 120_000,
  }, async () => {
    const made = await cli(['backup', '--out', path.join(dataDir, 'backups')]);
    expect(made.code, made.output).toBe(0);
    const file = /^backup: (\S+) \(/m.exec(made.output)![1]!;
    expect(path.basename(file)).toMatch(/^embedded-\d{8}T\d{6}Z\.backup$/);
    const { header, payloadOffset } = await readHeader(file);
    expect(header).toMatchObject({ format: 'pglite-datadir', database: 'embedded', encryption: null });
    expect(header.manifest.tables.users).toBe(1);
    const tarball = await buffer(payloadOf(file, header, payloadOffset, []));
    expect(await emailsIn({ tarball })).toEqual(['ops@example.test']);

    const verified = await cli(['backup-verify', file]);
    expect(verified.code, verified.output).toBe(0);
    expect(verified.output).toMatch(/backup\s+pglite-datadir[\s\S]*result\s+OK/);

    const elsewhere = path.join(dataDir, 'restored', 'pgdata');
    const restored = await cli(['restore', file, '--into', elsewhere]);
    expect(restored.code, restored.output).toBe(0);
    expect(await emailsIn({ dir: elsewhere })).toEqual(['ops@example.test']);
    const again = await cli(['restore', file, '--into', elsewhere]);
    expect(again.output).toMatch(
      /^restore: \S+ is not empty: restore writes over nothing without --force\n$/,
    );
    const wrongKind = await cli(['restore', file, '--into', 'postgres://postgres@127.0.0.1:5432/x']);
    expect(wrongKind.output).toMatch(/an embedded database .*--into takes a directory/);
  });

  it('stops with one line while another process holds the embedded database', async () => {
    const release = await lockDataDir(path.join(dataDir, 'pgdata')); // as `npm start` would
    try {
      for (const command of ['backup', 'backup-verify']) {
        const refused = await cli([command]);
        expect(refused.code).toBe(1);
        expect(refused.output).toMatch(
          /^the embedded database in \S+ is open in process \d+ .*stop that process first\n$/,
        );
      }
    } finally {
      await release();
    }
  });
});
