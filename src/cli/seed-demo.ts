/** `npm run cli -- seed-demo`: demo accounts to try the product with (db/seed/demo.ts), and how to sign in. */
import type { Config } from '../config.ts';
import type { DemoReport } from '../db/seed/demo.ts';
import { DEMO_DOCTORS, DEMO_PASSWORD } from '../db/seed/demo-cast.ts';
import { passwordSchema } from '../modules/auth/schemas.ts';
import { DEFAULT_HORIZON_DAYS } from '../modules/availability/schemas.ts';
import { type Command, runtime, withPlatform } from './command.ts';
import { UsageError } from './usage.ts';

export const seedDemoCommand: Command = {
  name: 'seed-demo',
  summary: `demo accounts: an admin, ${DEMO_DOCTORS.length} verified doctors with open slots, a patient`,
  usage: `Usage: npm run cli -- seed-demo [--password P]
  Demo data to try the product with: an admin, ${DEMO_DOCTORS.length} verified Ayurveda doctors (specializations,
  languages and fees from across India; one consults free) whose weekly schedules give open slots
  from today for ${DEFAULT_HORIZON_DAYS} days (kept rolling by the server), and a patient. Made through the
  product's own services, so they are audited like any sign-up, profile, schedule and verification.
  Prints their sign-ins (e-mail and password) and what to do next.
  Safe to run again: what exists is kept (passwords too) and said so, what is missing is added;
  nothing is duplicated. Migrates an empty database first. Refused with NODE_ENV=production.
  Options:
    --password P   the password of every account it creates (default "${DEMO_PASSWORD}"; 10+ characters)
  PostgreSQL (DATABASE_URL) or the embedded database (DATA_DIR): stop the server first for the
  embedded one, which only one process may open.`,
  options: { password: { type: 'string' } },
  inUseHint: ': if it is the server (npm start), stop it, run seed-demo, then start it again',
  async run({ values }) {
    const password = (values.password as string | undefined) ?? DEMO_PASSWORD;
    const checked = passwordSchema.safeParse(password);
    if (!checked.success)
      throw new UsageError(`--password ${checked.error.issues[0]?.message ?? 'is invalid'}`);
    return withPlatform(
      async (platform) => {
        const report = await (await runtime()).seedDemo(platform, password);
        console.log(describeDemo(report, platform.config, password));
        return 0;
      },
      { migrate: true },
    );
  },
};

/** The sign-ins as a table (one account a line, e-mail and password as the 2nd and 3rd words), then what next. */
function describeDemo(report: DemoReport, config: Config, password: string): string {
  const created = report.accounts.filter((a) => a.status === 'created').length;
  const doctors = report.accounts.filter((a) => a.role === 'doctor').length;
  const rows = [
    ['ROLE', 'EMAIL', 'PASSWORD', 'STATUS', 'NAME'],
    ...report.accounts.map((a) => [
      a.role,
      a.email,
      a.password ?? '(unchanged)',
      a.status,
      a.about ? `${a.name} (${a.about})` : a.name,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map(
    (r) =>
      `  ${r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}`,
  );
  const base = config.publicUrl;
  const database = config.databaseUrl ? ' with the same DATABASE_URL' : '';
  return [
    `seed-demo: ${report.accounts.length} accounts ready (${created} created, ${report.accounts.length - created} existed); ` +
      `${doctors} verified doctors with ${report.openSlots.toLocaleString('en')} open slots ahead.`,
    '',
    ...table,
    '',
    `Accounts it creates get the password "${password}" (--password P sets another); those that existed keep theirs.`,
    'Next:',
    `  npm start${database}    then open ${base} and sign in with one of the accounts above`,
    `  API: ${base}/api/v1    reference: ${base}/api-docs`,
  ].join('\n');
}
