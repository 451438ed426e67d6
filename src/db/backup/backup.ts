import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import {
  BackupFileError,
  type BackupHeader,
  type BackupKey,
  encrypting,
  headerLine,
  newHeader,
} from './format.ts';
import { type AuditState, takeManifest } from './manifest.ts';
import { databaseName, pgDump } from './pg-tools.ts';

/**
 * `backup`: the database into one file (format.ts), with the manifest of what it held.
 *
 * Invariants:
 * - On PostgreSQL the manifest and `pg_dump` read one snapshot (exported from a REPEATABLE READ
 *   transaction held open until the dump ends): the counts are those of the rows in the file, however
 *   busy the source is.
 * - Embedded, the CLI holds the data directory (one process at a time, dir-lock.ts): nothing writes
 *   between the manifest and the snapshot (`CHECKPOINT`, then `dumpDataDir`).
 * - A file is written as `<name>.partial` and renamed once complete (and flushed): a backup that
 *   failed never looks like one that succeeded. An existing file is never overwritten.
 */

export interface BackupResult {
  file: string;
  header: BackupHeader;
  bytes: number;
}

/** `<database>-<UTC instant>.backup`, e.g. `amrutam-20260301T020000Z.backup`. */
function fileName(database: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${database.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}.backup`;
}

/** Writes header and payload (encrypted with `key` when given); `produce` writes the plain payload. */
async function writeBackupFile(
  file: string,
  header: BackupHeader,
  key: BackupKey | undefined,
  produce: (payload: Writable) => Promise<void>,
): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { mode: 0o600, flush: true });
  const payload = key ? encrypting(header, key) : new PassThrough();
  out.write(headerLine(header));
  const written = pipeline(payload, out);
  try {
    await produce(payload);
    payload.end();
    await written;
    await rename(partial, file);
  } catch (error) {
    payload.destroy();
    await written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

export async function backup(
  platform: Platform,
  auditState: (db: Db) => Promise<AuditState>,
  outDir: string,
): Promise<BackupResult> {
  const { config, clock } = platform;
  const key = config.backupEncryptionKeys[0];
  const database = config.databaseUrl ? databaseName(config.databaseUrl) : 'embedded';
  const createdAt = clock.now();
  await mkdir(outDir, { recursive: true });
  const file = path.resolve(outDir, fileName(database, createdAt));
  if (existsSync(file)) throw new BackupFileError(`${file} exists already; wait a second, or choose --out`);
  let header: BackupHeader;

  if (config.databaseUrl) {
    const url = config.databaseUrl;
    header = await platform.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const { rows } = await sql<{ id: string }>`SELECT pg_export_snapshot() AS id`.execute(tx);
        const manifest = await takeManifest(tx, auditState);
        const h = newHeader({ format: 'pg_dump-custom', createdAt, database, manifest }, key);
        await writeBackupFile(file, h, key, (payload) => pgDump(url, rows[0]!.id, payload));
        return h;
      });
  } else {
    const pglite = platform.pglite!;
    const manifest = await takeManifest(platform.db, auditState);
    await sql`CHECKPOINT`.execute(platform.db);
    const tarball = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    header = newHeader({ format: 'pglite-datadir', createdAt, database, manifest }, key);
    await writeBackupFile(file, header, key, (payload) =>
      pipeline(Readable.from(tarball), payload, { end: false }),
    );
  }
  return { file, header, bytes: (await stat(file)).size };
}

/** One line for the operator: where, how big, what, how it is protected. */
export function describeBackup(result: BackupResult): string {
  const { header, bytes } = result;
  const rows = Object.values(header.manifest.tables).reduce((sum, n) => sum + n, 0);
  const tables = Object.keys(header.manifest.tables).length;
  return `backup: ${result.file} (${(bytes / 1_048_576).toFixed(1)} MB, ${header.format}, ${tables} tables, ${rows} rows, ${
    header.encryption ? `encrypted with key "${header.encryption.keyId}"` : 'not encrypted'
  })`;
}
