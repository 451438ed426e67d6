import { createReadStream } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { lockDataDir } from '../../platform/db/dir-lock.ts';
import { createEmbeddedDb } from '../../platform/db/index.ts';
import { type BackupHeader, type BackupKey, decrypting, keyFor, readHeader } from './format.ts';
import { clearDatabase, contentsOf, databaseName, pgRestore } from './pg-tools.ts';

/**
 * `restore FILE --into TARGET [--force]`: a backup into a PostgreSQL database (a `pg_dump` archive)
 * or into a directory (an embedded database's snapshot).
 *
 * Invariants:
 * - A target that holds anything is refused unless `--force`. With `--force` a database is emptied
 *   (every schema but PostgreSQL's own dropped) and a directory is moved aside, never deleted.
 * - Nothing is changed before the file is known to open: its header, its key, and (when a forced
 *   restore would drop data first) a full pass that verifies every encrypted chunk.
 * - `pg_restore` runs in one transaction: it restores everything or nothing.
 */

export class RestoreRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefused';
  }
}

const isPostgresUrl = (target: string) => /^postgres(ql)?:\/\//.test(target);

/** The payload as it was before encryption, streamed from the file. */
export function payloadOf(
  file: string,
  header: BackupHeader,
  payloadOffset: number,
  keys: readonly BackupKey[],
): Readable {
  const raw = createReadStream(file, { start: payloadOffset });
  if (!header.encryption) return raw;
  const plain = decrypting(header, keyFor(header, keys));
  pipeline(raw, plain).catch(() => {}); // an error reaches whoever reads `plain`
  return plain;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** The snapshot restored into `dir` (a data directory `npm start` opens with DATA_DIR=its parent). */
async function restoreDataDir(dir: string, tarball: Buffer, force: boolean): Promise<void> {
  const staging = `${dir}.restoring-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  // Opened once from the tarball: what lands in `dir` is a database PGlite has started on.
  const restored = await createEmbeddedDb(staging, { loadDataDir: new Blob([tarball]) });
  try {
    await sql`SELECT 1`.execute(restored.db);
  } finally {
    await restored.db.destroy();
    await restored.release();
  }
  const release = await lockDataDir(dir); // a server or CLI still on `dir` stops us here
  try {
    if (!(await isEmptyDir(dir))) {
      if (!force)
        throw new RestoreRefused(`${dir} is not empty: restore writes over nothing without --force`);
      await rename(dir, `${dir}.replaced-${new Date().toISOString().replace(/[-:.]/g, '')}`);
    }
    await rename(staging, dir);
  } finally {
    await release();
    await rm(staging, { recursive: true, force: true });
  }
}

export async function restore(
  file: string,
  into: string,
  options: { force: boolean; keys: readonly BackupKey[] },
): Promise<{ header: BackupHeader; replaced: boolean }> {
  const { header, payloadOffset } = await readHeader(file);
  if (header.encryption) keyFor(header, options.keys); // no key, no change
  const payload = () => payloadOf(file, header, payloadOffset, options.keys);

  if (header.format === 'pglite-datadir') {
    if (isPostgresUrl(into)) {
      throw new RestoreRefused(
        'this backup is an embedded database (PGlite data directory): --into takes a directory, e.g. .data/pgdata',
      );
    }
    const dir = path.resolve(into);
    const replaced = !(await isEmptyDir(dir));
    if (replaced && !options.force) {
      throw new RestoreRefused(`${dir} is not empty: restore writes over nothing without --force`);
    }
    await restoreDataDir(dir, await buffer(payload()), options.force);
    return { header, replaced };
  }

  if (!isPostgresUrl(into)) {
    throw new RestoreRefused('this backup is a PostgreSQL dump: --into takes a postgres:// URL');
  }
  const held = await contentsOf(into);
  if (held.relations > 0) {
    if (!options.force) {
      const what = held.tables > 0 ? `${held.tables} tables` : `${held.relations} relations`;
      throw new RestoreRefused(
        `database ${databaseName(into)} is not empty (${what}): restore writes over nothing without --force`,
      );
    }
    // Dropping comes before restoring: first make sure the whole file opens.
    if (header.encryption)
      await pipeline(payload(), async (chunks) => {
        for await (const _ of chunks) {
          // read through: each chunk's tag is checked
        }
      });
    await clearDatabase(into);
  }
  await pgRestore(into, payload());
  return { header, replaced: held.relations > 0 };
}
