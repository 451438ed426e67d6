/**
 * `npm run bench:analytics -- [--appointments N] [--doctors N] [--patients N] [--seconds S]`: the admin
 * analytics at scale (issue 10). On a fresh database it
 * 1. seeds with `seed-load … --appointments N` (default 3,000,000; ~3 audit rows each) and times it;
 * 2. starts the server as `npm start` does and an admin token like the server's own;
 * 3. loads each analytics answer (30 days and a year; overview and the doctor table) with 1 and 4
 *    connections for S seconds (default 10) and reports p50/p95/p99 and requests/s;
 * 4. prints the plan of a month's appointment list of one doctor (`EXPLAIN (ANALYZE, BUFFERS)`):
 *    one partition read.
 * The table goes to stdout and bench/results/analytics-<ISO timestamp>.md. The database is dropped
 * at the end unless --keep; --reuse NAME measures a kept one again.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { listQuery } from '../src/modules/appointments/repo.ts';
import { createTokenService } from '../src/modules/auth/tokens.ts';
import { systemClock } from '../src/platform/clock.ts';
import { createPostgresDb } from '../src/platform/db/index.ts';
import { loadSigningKey } from '../src/platform/keys.ts';
import { ADMIN_URL } from './config.ts';
import {
  baseEnv,
  freePort,
  NODE,
  ROOT,
  runToEnd,
  startChild,
  startScript,
  stopChild,
  waitReady,
} from './processes.ts';

const { values } = parseArgs({
  options: {
    appointments: { type: 'string', default: '3000000' },
    doctors: { type: 'string', default: '2000' },
    patients: { type: 'string', default: '300000' },
    seconds: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    /** A database a run kept (--keep): measured again as it is, neither seeded nor dropped. */
    reuse: { type: 'string' },
  },
});
const say = (line: string) => process.stderr.write(`bench:analytics: ${line}\n`);
const stamp = new Date().toISOString();
const dbName = values.reuse ?? `amrutam_analytics_${Date.now()}`;
const admin = new URL(ADMIN_URL);
const dbUrl = new URL(admin);
dbUrl.pathname = `/${dbName}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'amrutam-analytics-'));
const env = {
  ...baseEnv(),
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  DATA_DIR: dataDir,
  DATABASE_URL: dbUrl.toString(),
  RATE_LIMIT_PER_MINUTE: '1000000000',
};
const out: string[] = [];
const line = (text = '') => {
  out.push(text);
  console.log(text);
};

const { db: adminDb } = createPostgresDb(admin.toString(), 2);
if (!values.reuse) await sql.raw(`CREATE DATABASE ${dbName}`).execute(adminDb);
const { db } = createPostgresDb(dbUrl.toString(), 4);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** `connections` clients asking `url` back to back for `ms`: every latency kept, percentiles exact. */
async function load(url: string, token: string, connections: number, ms: number) {
  const latencies: number[] = [];
  let failed = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (!res.ok) failed += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  return { perSecond: latencies.length / (ms / 1000), p50: at(0.5), p95: at(0.95), p99: at(0.99), failed };
}
let server: ReturnType<typeof startChild> | undefined;
try {
  await runToEnd(NODE, ['src/cli.ts', 'migrate'], env);
  let t0 = performance.now();
  const seedArgs = [
    '--doctors',
    values.doctors,
    '--patients',
    values.patients,
    '--days',
    '30',
    '--appointments',
    values.appointments,
  ];
  const seedLine = values.reuse
    ? `(reused database ${dbName})`
    : (await runToEnd(NODE, ['src/cli.ts', 'seed-load', ...seedArgs], env, { showStdout: true }))
        .trim()
        .split('\n')[0];
  const seedSeconds = seconds(t0);
  const count = async (table: string) =>
    Number(
      (
        await db
          .selectFrom(table as 'users')
          .select((e) => e.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const rows = {
    appointments: await count('appointments'),
    audit_logs: await count('audit_logs'),
    slots: await count('slots'),
    payments: await count('payments'),
    analytics_doctor_qh: await count('analytics_doctor_qh'),
    analytics_dirty: await count('analytics_dirty'),
  };
  line(`# Analytics at scale — ${stamp}`);
  line();
  line(
    `Seed: \`npm run cli -- seed-load ${seedArgs.join(' ')}\`: **${seedSeconds.toFixed(1)} s** (${seedLine})`,
  );
  line();
  line(
    `Rows: ${Object.entries(rows)
      .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
      .join(', ')}`,
  );
  if (rows.analytics_dirty > 0 || rows.analytics_doctor_qh === 0) {
    t0 = performance.now();
    await runToEnd(NODE, ['src/cli.ts', 'analytics-rebuild'], env);
    line();
    line(`\`npm run cli -- analytics-rebuild\`: **${seconds(t0).toFixed(1)} s**`);
  }

  const adminId = (
    await runToEnd(
      NODE,
      [
        'src/cli.ts',
        'create-admin',
        '--email',
        `bench-admin-${Date.now()}@example.test`,
        '--password',
        'bench-Admin-pass-1',
      ],
      env,
    )
  ).match(/admin created: (\S+)/)?.[1];
  if (!adminId) throw new Error('no admin created');
  const key = await loadSigningKey({ privateKeyPem: undefined, publicKeyPem: undefined }, dataDir);
  const token = await createTokenService(
    key,
    systemClock,
    { issuer: 'amrutam', accessTtlSeconds: 7200 },
    () => false,
  ).issueAccessToken({ id: adminId, role: 'admin' }, adminId, true);

  const port = await freePort();
  const script = startScript('start');
  const log = path.join(dataDir, 'server.log');
  server = startChild(
    [...script.flags, 'src/server.ts'],
    { ...env, ...script.env, PORT: String(port), HOST: '127.0.0.1' },
    log,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`, server, log);

  const today = new Date();
  const day = (offset: number) => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const cases = [
    ['overview, 30 days', `/api/v1/admin/analytics/overview?from=${day(-29)}&to=${day(0)}`],
    ['overview, 1 year', `/api/v1/admin/analytics/overview?from=${day(-364)}&to=${day(0)}`],
    ['doctors, 30 days', `/api/v1/admin/analytics/doctors?from=${day(-29)}&to=${day(0)}`],
    ['doctors, 1 year', `/api/v1/admin/analytics/doctors?from=${day(-364)}&to=${day(0)}`],
    [
      'doctors, 1 year, by name, Kathmandu',
      `/api/v1/admin/analytics/doctors?from=${day(-364)}&to=${day(0)}&tz=Asia/Kathmandu&sort=name`,
    ],
  ] as const;
  line();
  line('| answer | connections | req/s | p50 ms | p95 ms | p99 ms | non-2xx |');
  line('|---|---|---|---|---|---|---|');
  for (const [name, url] of cases) {
    for (const connections of [1, 4]) {
      const r = await load(`${base}${url}`, token, connections, Number(values.seconds) * 1000);
      line(
        `| ${name} | ${connections} | ${r.perSecond.toFixed(1)} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.failed} |`,
      );
    }
  }

  const doctor = await db
    .selectFrom('appointments')
    .select('doctor_id')
    .where('starts_at', '<', today)
    .limit(1)
    .executeTakeFirstOrThrow();
  const month = {
    from: new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1)),
    to: new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)),
  };
  const q = listQuery(db, { doctorId: doctor.doctor_id, ...month, limit: 21, now: today }).compile();
  const plan = await db.executeQuery<{ 'QUERY PLAN': string }>({
    ...q,
    sql: `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`,
  });
  line();
  line(
    `A doctor's appointments in ${month.from.toISOString().slice(0, 7)} (GET /appointments?from=&to=, as a doctor):`,
  );
  line('```');
  for (const r of plan.rows) line(r['QUERY PLAN']);
  line('```');
  await writeFile(
    path.join(ROOT, 'bench', 'results', `analytics-${stamp.replaceAll(':', '-')}.md`),
    `${out.join('\n')}\n`,
  );
} finally {
  await stopChild(server);
  await db.destroy();
  if (!values.keep && !values.reuse)
    await sql.raw(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).execute(adminDb);
  else say(`kept ${dbUrl}`);
  await adminDb.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
