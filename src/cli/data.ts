/** Commands over the data as a whole: bulk seeding, key rotation, backups, the API's document. */
import { BACKUP_COMMANDS, type BackupCommand, backupCommand } from '../db/backup/commands.ts';
import { PHI_ROTATE_OPTIONS, PHI_ROTATE_USAGE } from '../db/phi-rotate.ts';
import { SEED_LOAD_OPTIONS, SEED_LOAD_USAGE } from '../db/seed/usage.ts';
import { type Command, cliConfig, runtime, withPlatform } from './command.ts';

export const seedLoad: Command = {
  name: 'seed-load',
  summary: 'fill an empty database with realistic data (COPY; benchmarks)',
  usage: SEED_LOAD_USAGE,
  options: SEED_LOAD_OPTIONS,
  run: ({ args }) => withPlatform(async (platform) => (await runtime()).seedLoadCommand(platform, args)),
};

export const phiRotate: Command = {
  name: 'phi-rotate',
  summary: 're-seal every encrypted value with the first PHI key',
  usage: PHI_ROTATE_USAGE,
  options: PHI_ROTATE_OPTIONS,
  run: ({ args }) =>
    withPlatform(async (platform) => {
      const { createServices, phiRotateCommand } = await runtime();
      const { records, appointments, auth } = createServices(platform);
      const columns = [...records.sealedColumns, ...appointments.sealedColumns, ...auth.sealedColumns];
      return phiRotateCommand(platform, columns, args);
    }),
};

const backupSummaries: Record<BackupCommand, string> = {
  backup: 'back up the database (pg_dump, or the embedded snapshot)',
  restore: 'restore a backup; refuses a non-empty target unless --force',
  'backup-verify': 'the restore drill: restore, compare with the source',
};

export const backups: Command[] = Object.entries(BACKUP_COMMANDS).map(([name, spec]) => ({
  name,
  summary: backupSummaries[name as BackupCommand],
  usage: spec.usage,
  options: spec.options,
  positionals: spec.positionals,
  run: async ({ args }) => {
    const { auditServiceOf } = await runtime();
    return backupCommand(name as BackupCommand, args, cliConfig, (platform, db) =>
      auditServiceOf(platform, db),
    );
  },
}));

export const openapi: Command = {
  name: 'openapi',
  summary: 'write the OpenAPI document the server serves (docs/openapi.json)',
  usage: `Usage: npm run cli -- openapi [--out FILE]
  Writes the OpenAPI 3.1 document exactly as a development server serves it at
  /api-docs/openapi.json, to FILE or to stdout. Needs no database (it builds the app on a throwaway
  in-memory one). docs/openapi.json is this output and the web app's API types are generated from
  it: regenerate with --out docs/openapi.json (test/openapi.test.ts fails when they drift).
  Options:
    --out FILE   where to write it (default: stdout)`,
  options: { out: { type: 'string' } },
  run: async ({ args }) => (await runtime()).writeOpenApiDocument(args),
};
