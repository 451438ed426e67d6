import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { VerifyReport } from '../../modules/audit/service.ts';
import { createEmbeddedDb, createPostgresDb, type Db } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { migrations } from '../migrations/index.ts';
import { backup } from './backup.ts';
import { type BackupHeader, readHeader } from './format.ts';
import { type AuditState, type Comparison, compare, takeManifest } from './manifest.ts';
import { createScratchDatabase } from './pg-tools.ts';
import { payloadOf, RestoreRefused, restore } from './restore.ts';

/**
 * `backup-verify [FILE]`, the restore drill: a backup (FILE, or one made now) restored into a
 * scratch database that the drill creates and drops (in memory for an embedded database), compared
 * with what the source held when the backup was taken (its manifest): the migrations current, every
 * table's row count, the audit chain's head, and the chain's verification on the copy and on the
 * source now. Any difference fails the drill.
 *
 * Invariants:
 * - The source is only read; the scratch database is dropped whatever happens.
 * - `tamper` (tests only) changes the restored copy before it is read: a drill that can't fail
 *   proves nothing.
 */

/** The audit service's part the drill uses, over a given database (wired in cli.ts). */
export interface AuditPort {
  state(): Promise<AuditState>;
  verify(options?: { restoredCopy?: boolean }): Promise<VerifyReport>;
}

export interface DrillOptions {
  platform: Platform;
  auditOf: (db: Db) => AuditPort;
  /** An existing backup; without it, one is made now. */
  file?: string | undefined;
  /** Where the backup made now is kept; without it, a temporary directory removed afterwards. */
  outDir?: string | undefined;
  tamper?: (copy: Db) => Promise<void>;
}

export interface DrillReport {
  file: string;
  header: BackupHeader;
  restoreMs: number;
  comparison: Comparison;
  copyChain: VerifyReport;
  sourceChain: VerifyReport;
  ok: boolean;
}

/** Restores into a scratch database, runs `inspect` on it, drops it. */
async function withRestoredCopy<T>(
  platform: Platform,
  file: string,
  inspect: (copy: Db) => Promise<T>,
): Promise<{ result: T; restoreMs: number }> {
  const { header, payloadOffset } = await readHeader(file);
  const keys = platform.config.backupEncryptionKeys;
  const started = performance.now();
  if (header.format === 'pglite-datadir') {
    if (platform.dbMode !== 'embedded') throw new RestoreRefused('this backup is of an embedded database');
    const tarball = await buffer(payloadOf(file, header, payloadOffset, keys));
    const copy = await createEmbeddedDb(undefined, { loadDataDir: new Blob([tarball]) });
    const restoreMs = performance.now() - started;
    try {
      return { result: await inspect(copy.db), restoreMs };
    } finally {
      await copy.db.destroy();
    }
  }
  if (!platform.config.databaseUrl) throw new RestoreRefused('this backup is of a PostgreSQL database');
  const scratch = await createScratchDatabase(platform.config.databaseUrl);
  try {
    await restore(file, scratch.url, { force: false, keys });
    const restoreMs = performance.now() - started;
    const copy = createPostgresDb(scratch.url, 2);
    try {
      return { result: await inspect(copy.db), restoreMs };
    } finally {
      await copy.db.destroy();
    }
  } finally {
    await scratch.drop();
  }
}

export async function drill(o: DrillOptions): Promise<DrillReport> {
  const auditState = (db: Db) => o.auditOf(db).state();
  const temporary = o.file || o.outDir ? undefined : await mkdtemp(path.join(tmpdir(), 'amrutam-drill-'));
  try {
    const file = o.file ?? (await backup(o.platform, auditState, o.outDir ?? temporary!)).file;
    const { header } = await readHeader(file);
    const { result, restoreMs } = await withRestoredCopy(o.platform, file, async (copy) => {
      await o.tamper?.(copy);
      return {
        found: await takeManifest(copy, auditState),
        copyChain: await o.auditOf(copy).verify({ restoredCopy: true }),
      };
    });
    const sourceChain = await o.auditOf(o.platform.db).verify();
    const comparison = compare(header.manifest, result.found, Object.keys(migrations), {
      copy: result.copyChain,
      source: sourceChain,
    });
    return {
      file,
      header,
      restoreMs,
      comparison,
      copyChain: result.copyChain,
      sourceChain,
      ok: comparison.differences.length === 0,
    };
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
}

/** The report an operator reads (and files with the drill's date). */
export function formatReport(r: DrillReport): string {
  const { comparison: c, header: h } = r;
  const pad = (s: string) => s.padEnd(28);
  const lines = [
    `backup-verify: ${r.file}`,
    `  backup       ${h.format}, taken ${h.createdAt} from ${h.database}, ${
      h.encryption ? `encrypted with key "${h.encryption.keyId}"` : 'not encrypted'
    }`,
    `  restored     into a scratch database in ${(r.restoreMs / 1000).toFixed(1)} s`,
    `  migrations   ${
      c.migrations.current
        ? `current (${Object.keys(migrations).length} of ${Object.keys(migrations).length})`
        : `NOT current (missing: ${c.migrations.missing.join(', ') || 'none'}; unknown: ${
            c.migrations.unknown.join(', ') || 'none'
          })`
    }`,
    `  tables       ${c.tables.filter((t) => t.expected === t.found).length} of ${c.tables.length} match (copy / source)`,
    ...c.tables.map(
      (t) =>
        `    ${pad(t.name)} ${String(t.found ?? '-').padStart(10)} / ${String(t.expected ?? '-').padStart(10)}${
          t.found === t.expected ? '' : '   DIFFERENT'
        }`,
    ),
    `  audit chain  copy: ${r.copyChain.ok ? 'verifies' : `BROKEN (${r.copyChain.reason})`}, ${
      r.copyChain.checked
    } rows, head seq ${h.manifest.audit.head?.seq ?? 0} in the backup; source now: ${
      r.sourceChain.ok ? 'verifies' : `BROKEN (${r.sourceChain.reason})`
    }`,
    ...(r.ok
      ? ['  result       OK: the restored copy equals the source at the backup']
      : ['  result       FAILED', ...c.differences.map((d) => `    - ${d}`)]),
  ];
  return lines.join('\n');
}
