import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { ticking } from '../../cli/progress.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/index.ts';
import { createPlatform, type Platform } from '../../platform/platform.ts';
import { backup, describeBackup } from './backup.ts';
import { type AuditPort, drill, formatReport } from './drill.ts';
import { BackupFileError } from './format.ts';
import { PgToolError } from './pg-tools.ts';
import { RestoreRefused, restore } from './restore.ts';

/**
 * The CLI's backup commands: `backup`, `restore`, `backup-verify`. The CLI answers their `--help`
 * and checks their arguments (BACKUP_COMMANDS) before they run; each says why it failed in one line
 * and exits non-zero on any failure. On a terminal, stderr shows how long the work has been running.
 */

export const BACKUP_USAGE = `Usage: npm run cli -- backup [--out DIR]
  Backs up the database into DIR (default ./backups) as <database>-<UTC time>.backup:
  - PostgreSQL (DATABASE_URL): pg_dump -Fc, with the row count of every table read in the same
    snapshot (the drill compares a restore with them);
  - embedded (no DATABASE_URL): a snapshot of the PGlite data directory. The embedded database
    belongs to one process: stop the server first.
  Encrypted (AES-256-GCM) with the first key of BACKUP_ENCRYPTION_KEY when it is set. The file's
  first line (head -1 FILE) says what it holds and which key opens it.`;

export const RESTORE_USAGE = `Usage: npm run cli -- restore FILE --into TARGET [--force]
  Restores a backup: a PostgreSQL one into TARGET, a postgres:// URL (pg_restore, all or nothing);
  an embedded one into TARGET, a directory (DATA_DIR/pgdata is the one npm start opens).
  A target that holds anything is refused; --force empties the database (drops every schema) or moves
  the directory aside (<dir>.replaced-<time>) first. An encrypted backup needs its key in
  BACKUP_ENCRYPTION_KEY. Afterwards: see docs/operations.md (the audit checkpoint of a restored
  database).`;

export const VERIFY_USAGE = `Usage: npm run cli -- backup-verify [FILE] [--out DIR]
  The restore drill. Restores FILE (default: a backup made now, kept in DIR if given) into a scratch
  database it creates and drops (in memory for an embedded database), then checks that its migrations
  are current, that every table has the row count the source had when the backup was taken, that the
  audit chain's head is the same and that the chain verifies on the copy as on the source now.
  Prints a report; exits 1 on any difference. PostgreSQL: the role needs CREATEDB. Embedded: stop
  the server first.`;

/** Each command's help, options and how many positional arguments it takes (FILE). */
export const BACKUP_COMMANDS = {
  backup: { usage: BACKUP_USAGE, options: { out: { type: 'string' } }, positionals: 0 },
  restore: {
    usage: RESTORE_USAGE,
    options: { into: { type: 'string' }, force: { type: 'boolean' } },
    positionals: 1,
  },
  'backup-verify': { usage: VERIFY_USAGE, options: { out: { type: 'string' } }, positionals: 1 },
} as const;
export type BackupCommand = keyof typeof BACKUP_COMMANDS;

/** Failures the operator can act on, said here; anything else is the CLI's to say (src/cli/failure.ts). */
const EXPECTED = [BackupFileError, PgToolError, RestoreRefused];

export async function backupCommand(
  command: BackupCommand,
  args: string[],
  loadConfig: () => Config,
  auditOf: (platform: Platform, db: Db) => AuditPort,
): Promise<number> {
  const parsed = parse(command, args);
  try {
    if (command === 'restore') {
      if (!parsed.file || !parsed.into) {
        console.error(`restore needs FILE and --into TARGET\n${RESTORE_USAGE}`);
        return 1;
      }
      const keys = loadConfig().backupEncryptionKeys;
      const done = await ticking('restore', restore(parsed.file, parsed.into, { force: parsed.force, keys }));
      console.log(
        `restore: ${parsed.file} (${done.header.format}, taken ${done.header.createdAt}) restored${
          done.replaced ? ', replacing what the target held' : ''
        }`,
      );
      return 0;
    }
    // A backup reads the database as it is: it never migrates it.
    const platform = await createPlatform({ ...loadConfig(), migrateOnStart: false });
    try {
      if (command === 'backup') {
        const state = (db: Db) => auditOf(platform, db).state();
        console.log(
          describeBackup(await ticking('backup', backup(platform, state, parsed.out ?? 'backups'))),
        );
        return 0;
      }
      const report = await ticking(
        'backup-verify',
        drill({ platform, auditOf: (db) => auditOf(platform, db), file: parsed.file, outDir: parsed.out }),
      );
      console.log(formatReport(report));
      return report.ok ? 0 : 1;
    } finally {
      await platform.close();
    }
  } catch (error) {
    if (!EXPECTED.some((kind) => error instanceof kind)) throw error;
    console.error(`${command}: ${(error as Error).message}`);
    return 1;
  }
}

/** The arguments the CLI has checked against BACKUP_COMMANDS, by name. */
function parse(command: BackupCommand, args: string[]) {
  const options: ParseArgsOptionsConfig = BACKUP_COMMANDS[command].options;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options });
  return {
    file: positionals[0],
    into: values.into as string | undefined,
    force: values.force === true,
    out: values.out as string | undefined,
  };
}
