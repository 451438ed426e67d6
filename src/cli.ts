import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { backupCommand, isBackupCommand } from './db/backup/commands.ts';
import { migrateToLatest } from './db/migrate.ts';
import { PHI_ROTATE_USAGE, phiRotateCommand } from './db/phi-rotate.ts';
import { seedLoadCommand } from './db/seed/command.ts';
import { writeOpenApiDocument } from './http/openapi/export.ts';
import { passwordSchema } from './modules/auth/schemas.ts';
import { DataDirInUse } from './platform/db/dir-lock.ts';
import { describePartitions, MONTHS_AHEAD } from './platform/db/partitions.ts';
import { createPlatform } from './platform/platform.ts';
import { auditServiceOf, createServices } from './services.ts';

const USAGE = `Usage: npm run cli -- <command>
  migrate                                   apply pending database migrations
  create-admin --email E --name N           create an admin (password from ADMIN_PASSWORD or --password)
  audit-verify                              seal pending audit rows and verify the chain (exit 1 if broken)
  seed-load --doctors N --patients M --days D [--appointments A [--history-days H]] [--seed S]
                                            fill an empty database with realistic data (COPY; benchmarks)
  phi-rotate [--batch N]                    re-seal every encrypted value with the first PHI key (--help)
  backup [--out DIR]                        back up the database (pg_dump, or the embedded snapshot) (--help)
  restore FILE --into TARGET [--force]      restore a backup; refuses a non-empty target unless --force (--help)
  backup-verify [FILE] [--out DIR]          the restore drill: restore, compare with the source (--help)
  partitions                                make monthly partitions ahead, detach those past retention (--help)
  analytics-rebuild                         recompute every analytics rollup from the raw rows (after a bulk load)
  openapi [--out FILE]                      write the OpenAPI document the server serves (docs/openapi.json; the web app's types)`;

const PARTITIONS_USAGE = `Usage: npm run cli -- partitions
  What the daily maintenance job does, now: for appointments and audit_logs, make the monthly
  partitions from this month to ${MONTHS_AHEAD} months ahead (moving in rows the DEFAULT partition caught
  for those months), then detach the months that ended more than MEDICAL_RECORDS_RETENTION_YEARS
  ago into schema archive (never dropped; a month with live rows stays). One line per table: its
  months, what was made and detached, and the rows in its DEFAULT partition (alert on > 0).
  Exit 1 when a table's locks were busy (run it again).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'phi-rotate' && rest.includes('--help')) {
    console.log(PHI_ROTATE_USAGE);
    return 0;
  }
  if (isBackupCommand(command)) {
    return backupCommand(
      command,
      rest,
      () => loadConfig(),
      (platform, db) => auditServiceOf(platform, db),
    );
  }
  if (command === 'openapi') return writeOpenApiDocument(rest);
  if (command === 'partitions' && rest.length > 0) {
    console.log(PARTITIONS_USAGE);
    return rest.includes('--help') ? 0 : 1;
  }
  // `migrate` and `partitions` report what they did themselves; other commands migrate on start like the server.
  const reporting = command === 'migrate' || command === 'partitions';
  const config = reporting ? { ...loadConfig(), migrateOnStart: false } : loadConfig();
  const platform = await createPlatform(config);
  try {
    switch (command) {
      case 'migrate': {
        const { results } = await migrateToLatest(platform.db);
        console.log(
          results?.length ? results.map((r) => `${r.migrationName}: ${r.status}`).join('\n') : 'up to date',
        );
        return 0;
      }
      case 'create-admin': {
        const { values } = parseArgs({
          args: rest,
          options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
        });
        const password = values.password ?? process.env.ADMIN_PASSWORD;
        if (!values.email || !password) {
          console.error('create-admin needs --email and a password (ADMIN_PASSWORD or --password)');
          return 1;
        }
        const checked = passwordSchema.safeParse(password);
        if (!checked.success) {
          console.error(`password ${checked.error.issues[0]?.message ?? 'is invalid'}`);
          return 1;
        }
        const { auth } = createServices(platform);
        const { created, id } = await auth.ensureAdmin({
          email: values.email,
          password,
          name: values.name ?? 'Administrator',
        });
        console.log(created ? `admin created: ${id}` : `an account with that email already exists: ${id}`);
        return created ? 0 : 1;
      }
      case 'audit-verify': {
        const { audit } = createServices(platform);
        await audit.seal();
        const report = await audit.verify();
        console.log(JSON.stringify(report, null, 2));
        return report.ok ? 0 : 1;
      }
      case 'seed-load':
        return await seedLoadCommand(platform, rest);
      case 'partitions': {
        await migrateToLatest(platform.db);
        const reports = await createServices(platform).partitions.run();
        for (const report of reports) console.log(describePartitions(report));
        return reports.some((r) => r.busy) ? 1 : 0;
      }
      case 'analytics-rebuild': {
        const started = performance.now();
        await createServices(platform).analytics.rebuild();
        console.log(`analytics rollups rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        return 0;
      }
      case 'phi-rotate': {
        const { records, appointments, auth } = createServices(platform);
        const columns = [...records.sealedColumns, ...appointments.sealedColumns, ...auth.sealedColumns];
        return await phiRotateCommand(platform, columns, rest);
      }
      default:
        console.error(`unknown command "${command}"\n${USAGE}`);
        return 1;
    }
  } finally {
    await platform.close();
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DataDirInUse) {
      // Most likely `npm start` on the embedded database: the CLI can't share it.
      console.error(
        argv[0] === 'create-admin'
          ? `${error.message}, or use PostgreSQL (DATABASE_URL); to get an admin in embedded mode, start the server with BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD set`
          : error.message,
      );
    } else console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
