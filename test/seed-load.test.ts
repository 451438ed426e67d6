import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedLoadCommand } from '../src/db/seed/command.ts';
import { seedLoad } from '../src/db/seed/index.ts';
import { oracleDays, oracleSignups } from '../src/modules/analytics/oracle.ts';
import { boundsOf, dayTotals, signupsPerDay } from '../src/modules/analytics/repo.ts';
import type { Db } from '../src/platform/db/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { bookingInvariantViolations } from './helpers/invariants.ts';

// Issue 10: `seed-load --appointments N` fills a past that the product could have written: every
// foreign key and rule holds although the load ran with row triggers off, the audit chain verifies,
// the rollups equal the oracle, the months have their partitions. COPY and INSERT store the same rows.
const NOW = '2026-12-05T06:00:00Z';
const OPTIONS = { doctors: 6, patients: 300, days: 7, seed: 7, appointments: 2_000 };

/** Rows that break a foreign key (the load skipped their checks): one count per constraint. */
async function orphans(db: Db): Promise<Record<string, number>> {
  const { rows: fks } = await sql<{
    name: string;
    child: string;
    parent: string;
    cols: string[];
    refs: string[];
  }>`
    SELECT c.conname AS name, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
           array(SELECT attname FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)::text[] AS cols,
           array(SELECT attname FROM unnest(c.confkey) k JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)::text[] AS refs
    FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
    WHERE c.contype = 'f' AND c.conparentid = 0 AND r.relispartition = false`.execute(db);
  const found: Record<string, number> = {};
  for (const fk of fks) {
    const match = fk.cols.map((col, i) => `p.${fk.refs[i]} = c.${col}`).join(' AND ');
    const present = fk.cols.map((col) => `c.${col} IS NOT NULL`).join(' AND ');
    const { rows } = await sql<{ n: number }>`${sql.raw(
      `SELECT count(*)::int AS n FROM ${fk.child} c WHERE ${present} AND NOT EXISTS (SELECT FROM ${fk.parent} p WHERE ${match})`,
    )}`.execute(db);
    if (rows[0]!.n > 0) found[fk.name] = rows[0]!.n;
  }
  return found;
}

/** The product's rules the skipped triggers keep. */
async function ruleBreaks(db: Db) {
  const { rows } = await sql<Record<string, number>>`SELECT
    (SELECT count(*)::int FROM appointments a LEFT JOIN appointment_ids i ON i.id = a.id AND i.starts_at = a.starts_at
      WHERE i.id IS NULL) AS untracked,
    (SELECT count(*)::int FROM reviews r JOIN appointments a ON a.id = r.appointment_id
      WHERE a.status <> 'completed' OR a.patient_id <> r.patient_id OR a.doctor_id <> r.doctor_id) AS bad_reviews,
    (SELECT count(*)::int FROM doctors d WHERE rating_count <> (SELECT count(*) FROM reviews WHERE doctor_id = d.user_id)) AS bad_ratings,
    (SELECT count(*)::int FROM appointments a JOIN users u ON u.id = a.patient_id WHERE u.created_at > a.created_at) AS early,
    (SELECT count(*)::int FROM appointments a JOIN users u ON u.id = a.doctor_id WHERE u.created_at > a.created_at)
      + (SELECT count(*)::int FROM slots s JOIN users u ON u.id = s.doctor_id WHERE u.created_at > s.created_at) AS doctor_early,
    (SELECT count(*)::int FROM appointments a JOIN appointments b ON a.patient_id = b.patient_id AND a.id < b.id
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)) AS patient_twice,
    (SELECT count(*)::int FROM appointments a JOIN payments p ON p.appointment_id = a.id
      WHERE CASE a.status
        WHEN 'cancelled' THEN p.status NOT IN ('captured', 'refunded') OR (p.status = 'refunded') <> (p.refund_amount_minor > 0)
        WHEN 'expired' THEN p.status NOT IN ('created', 'failed') OR (p.status = 'created') <> (p.provider_order_id IS NULL)
        ELSE p.status <> 'captured' END) AS bad_payments,
    (SELECT count(*)::int FROM appointments a WHERE a.status = 'completed' AND NOT EXISTS (SELECT FROM audit_logs l
      WHERE l.entity_id = a.id::text AND l.action = 'appointment.started')) AS unstarted,
    (SELECT count(*)::int FROM appointments_default) + (SELECT count(*)::int FROM audit_logs_default) AS strays,
    (SELECT count(*)::int FROM analytics_dirty) AS dirty`.execute(db);
  return rows[0];
}

async function expectRollupsEqualOracle(db: Db) {
  const bounds = await boundsOf(db, '2026-06-01', '2026-12-31', 'Asia/Kolkata');
  const sort = <T extends { day: string }>(rows: T[]) => rows.sort((a, b) => a.day.localeCompare(b.day));
  expect(sort(await dayTotals(db, bounds, 'Asia/Kolkata'))).toEqual(
    sort(await oracleDays(db, bounds, 'Asia/Kolkata')),
  );
  expect(await signupsPerDay(db, bounds, 'Asia/Kolkata')).toEqual(
    await oracleSignups(db, bounds, 'Asia/Kolkata'),
  );
}

async function indexes(db: Db): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`
    SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1`.execute(db);
  return rows.map((r) => r.def);
}

/** What the seed wrote, as text: equal between two databases only if every row is. */
async function fingerprint(db: Db): Promise<string[]> {
  // Password hashes are salted per run; the rest is the seed's.
  const tables = [
    'users',
    'doctors',
    'slots',
    'appointments',
    'payments',
    'refunds',
    'reviews',
    'audit_logs',
  ];
  const sums: string[] = [];
  for (const table of tables) {
    const from =
      table === 'users'
        ? '(SELECT id, email, role, name, created_at FROM users)'
        : table === 'slots'
          ? '(SELECT doctor_id, starts_at, ends_at, status, created_at, updated_at FROM slots)' // ids of open slots: the database's
          : table;
    const { rows } = await sql<{ md5: string }>`${sql.raw(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5 FROM ${from} t`,
    )}`.execute(db);
    sums.push(`${table}:${rows[0]!.md5}`);
  }
  return sums;
}

describe.each(['postgres', 'embedded'] as const)('seed-load with a past (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ mode, clockStart: NOW });
  }, 60_000);
  afterAll(() => t.close());

  it('writes exactly N appointments that keep every key, rule, partition and the audit chain', async () => {
    const before = await indexes(t.platform.db);
    const report = await seedLoad(t.platform, OPTIONS);
    // The plain indexes it dropped to load faster are back, as they were (and on the new months).
    const after = await indexes(t.platform.db);
    expect(after.filter((i) => !/_y2026m(0[6-9]|1[01])/.test(i))).toEqual(before);
    expect(report).toMatchObject({ appointments: 2_000, doctors: 6, patients: 300 });
    expect(report.auditRows).toBeGreaterThan(2_000 * 3);
    const db = t.platform.db;
    const { rows } = await sql<{ status: string; n: number }>`
      SELECT status, count(*)::int AS n FROM appointments GROUP BY 1 ORDER BY 1`.execute(db);
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'completed', 'expired', 'no_show']);
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(2_000);
    expect(await orphans(db)).toEqual({});
    expect(await ruleBreaks(db)).toEqual({
      untracked: 0,
      bad_reviews: 0,
      bad_ratings: 0,
      early: 0,
      doctor_early: 0,
      patient_twice: 0,
      bad_payments: 0,
      unstarted: 0,
      strays: 0,
      dirty: 0,
    });
    expect(await bookingInvariantViolations(db)).toEqual([]);
    const verified = await t.services.audit.verify();
    expect(verified).toMatchObject({ ok: true, checked: report.auditRows, unsealed: 0 });
    await expectRollupsEqualOracle(db);
  }, 120_000);

  it('refuses a second run, and a past that does not fit the doctors’ slots', async () => {
    await expect(
      seedLoadCommand(t.platform, ['--doctors', '1', '--patients', '1', '--days', '1']),
    ).resolves.toBe(1);
    const code = await seedLoadCommand(t.platform, [
      '--doctors=1',
      '--patients=1',
      '--days=1',
      '--appointments=1',
      '--history-days=0',
    ]);
    expect(code).toBe(1);
  });
});

describe('seed-load: the COPY path and the INSERT path', () => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  it('store the very same rows for one seed and clock', async () => {
    for (const mode of ['postgres', 'embedded'] as const) {
      const t = await startTestApp({ mode, clockStart: NOW });
      apps.push(t);
      await seedLoad(t.platform, { ...OPTIONS, appointments: 300, historyDays: 10 });
    }
    expect(await fingerprint(apps[0]!.platform.db)).toEqual(await fingerprint(apps[1]!.platform.db));
  }, 120_000);

  it('refuses more appointments than the past has slots, in one line', async () => {
    const t = await startTestApp({ mode: 'embedded', clockStart: NOW });
    apps.push(t);
    await expect(seedLoad(t.platform, { ...OPTIONS, appointments: 10_000, historyDays: 3 })).rejects.toThrow(
      /raise --doctors or --history-days/,
    );
  }, 60_000);
});
