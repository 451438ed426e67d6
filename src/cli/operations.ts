/** The operator's everyday commands: migrate, create-admin, audit-verify, partitions, analytics-rebuild. */

import { passwordWeakness } from '../modules/auth/password-policy.ts';
import { passwordSchema } from '../modules/auth/schemas.ts';
import { MONTHS_AHEAD } from '../platform/db/partitions.ts';
import { type Command, runtime, withPlatform } from './command.ts';
import { ticking } from './progress.ts';
import { UsageError } from './usage.ts';

export const migrate: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  usage: `Usage: npm run cli -- migrate
  Applies the pending migrations to the database (DATABASE_URL, or the embedded one in DATA_DIR)
  and lists them, or says "up to date". The server migrates at start too, unless
  MIGRATE_ON_START=false makes this a separate release step.`,
  run: () =>
    withPlatform(
      async (platform) => {
        const { migrateToLatest } = await runtime();
        const { results } = await migrateToLatest(platform.db);
        console.log(
          results?.length ? results.map((r) => `${r.migrationName}: ${r.status}`).join('\n') : 'up to date',
        );
        return 0;
      },
      { migrate: false },
    ),
};

export const createAdmin: Command = {
  name: 'create-admin',
  summary: 'create an admin (password from ADMIN_PASSWORD or --password)',
  usage: `Usage: npm run cli -- create-admin --email E [--name N] [--password P]
  Creates an admin account (nobody can sign up as one). Exit 1 when the e-mail has an account already.
  Options:
    --email E      the admin's e-mail, which they sign in with
    --name N       their name (default "Administrator")
    --password P   their password, 10 characters or more (default: $ADMIN_PASSWORD, which keeps it
                   out of the shell's history)
  Embedded mode: stop the server first, or start it with BOOTSTRAP_ADMIN_EMAIL and
  BOOTSTRAP_ADMIN_PASSWORD set instead.`,
  options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
  // `npm start` holds the embedded database; the server can make the admin itself.
  inUseHint:
    ', or use PostgreSQL (DATABASE_URL); to get an admin in embedded mode, start the server with BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD set',
  async run({ values }) {
    const email = values.email as string | undefined;
    const password = (values.password as string | undefined) ?? process.env.ADMIN_PASSWORD;
    if (!email || !password)
      throw new UsageError('needs --email and a password (ADMIN_PASSWORD or --password)');
    const checked = passwordSchema.safeParse(password);
    if (!checked.success)
      throw new UsageError(`password ${checked.error.issues[0]?.message ?? 'is invalid'}`);
    const name = (values.name as string | undefined) ?? 'Administrator';
    const weakness = passwordWeakness(password, { email, name });
    if (weakness) throw new UsageError(`choose another password: ${weakness}`);
    return withPlatform(async (platform) => {
      const { createServices } = await runtime();
      const { created, id } = await createServices(platform).auth.ensureAdmin({ email, password, name });
      console.log(created ? `admin created: ${id}` : `an account with that email already exists: ${id}`);
      return created ? 0 : 1;
    });
  },
};

export const auditVerify: Command = {
  name: 'audit-verify',
  summary: 'seal pending audit rows and verify the chain (exit 1 if broken)',
  usage: `Usage: npm run cli -- audit-verify
  Seals the audit rows written since the last seal, then walks the whole hash chain and prints the
  report (JSON). Exit 1 when the chain is broken: a row changed, removed or slipped in.`,
  run: () =>
    withPlatform(async (platform) => {
      const { audit } = (await runtime()).createServices(platform);
      await audit.seal();
      const report = await ticking('audit-verify', audit.verify());
      console.log(JSON.stringify(report, null, 2));
      return report.ok ? 0 : 1;
    }),
};

export const partitions: Command = {
  name: 'partitions',
  summary: 'make monthly partitions ahead, detach those past retention',
  usage: `Usage: npm run cli -- partitions
  What the daily maintenance job does, now: for appointments and audit_logs, make the monthly
  partitions from this month to ${MONTHS_AHEAD} months ahead (moving in rows the DEFAULT partition caught
  for those months), then detach the months that ended more than MEDICAL_RECORDS_RETENTION_YEARS
  ago into schema archive (never dropped; a month with live rows stays). One line per table: its
  months, what was made and detached, and the rows in its DEFAULT partition (alert on > 0).
  Exit 1 when a table's locks were busy (run it again).`,
  run: () =>
    withPlatform(
      async (platform) => {
        const { createServices, describePartitions, migrateToLatest } = await runtime();
        await migrateToLatest(platform.db);
        const reports = await createServices(platform).partitions.run();
        for (const report of reports) console.log(describePartitions(report));
        return reports.some((r) => r.busy) ? 1 : 0;
      },
      { migrate: false },
    ),
};

export const analyticsRebuild: Command = {
  name: 'analytics-rebuild',
  summary: 'recompute every analytics rollup from the raw rows (after a bulk load)',
  usage: `Usage: npm run cli -- analytics-rebuild
  Recomputes every analytics rollup from the raw rows, in one transaction (after a bulk load or a
  restore; the server's refresher keeps them current otherwise), and says how long it took.`,
  run: () =>
    withPlatform(async (platform) => {
      const started = performance.now();
      const { analytics } = (await runtime()).createServices(platform);
      await ticking('analytics-rebuild', analytics.rebuild());
      console.log(`analytics rollups rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }),
};
