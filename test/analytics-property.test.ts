import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byStatus, derived, type Totals } from '../src/modules/analytics/measures.ts';
import { oracleDays, oracleDoctors, oracleSignups } from '../src/modules/analytics/oracle.ts';
import { boundsOf } from '../src/modules/analytics/repo.ts';
import { APPOINTMENT_STATUSES } from '../src/platform/db/schema.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';

// Issue 10, "done means": analytics equal a brute-force recomputation over random data, whatever
// was changed between refreshes, for ranges in zones across their DST changes (and the half- and
// quarter-hour zones). Rows are written straight into the tables, as any writer would: the triggers
// must notice every change, the refresher keep every grain equal to the raw sums.
const ZONES = [
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/New_York',
  'America/St_Johns',
  'Europe/London',
  'Australia/Lord_Howe',
  'UTC',
];
// Two windows with DST changes in them (US, EU, Lord Howe, St John's), ~6 weeks each.
const WINDOWS = [Date.parse('2026-02-26T00:00:00Z'), Date.parse('2026-10-01T00:00:00Z')];
const QH = 900_000;
const SPAN_QH = 45 * 96;

let t: TestApp;
let admin: Account;
const doctors: string[] = [];
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-01-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  for (const zone of ['Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe']) {
    doctors.push((await createDoctor(t, admin, { timezone: zone })).id);
  }
}, 60_000);
afterAll(() => t.close());

const db = () => t.platform.db;
let n = 0;

async function patient(createdAt: Date): Promise<string> {
  n += 1;
  const row = await db()
    .insertInto('users')
    .values({
      email: `p${n}.${Date.now()}@prop.test`,
      password_hash: 'x',
      role: 'patient',
      name: `P ${n}`,
      phone: null,
      mfa_secret: null,
      mfa_pending_secret: null,
      mfa_last_step: null,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const STATUSES = APPOINTMENT_STATUSES;
const PAYMENT = ['none', 'created', 'captured', 'refunded', 'refund_pending', 'failed'] as const;

const op = fc.oneof(
  fc.record({
    kind: fc.constant('appointment' as const),
    doctor: fc.nat(2),
    window: fc.nat(1),
    qh: fc.nat(SPAN_QH - 1),
    length: fc.integer({ min: 1, max: 3 }),
    status: fc.constantFrom(...STATUSES),
    payment: fc.constantFrom(...PAYMENT),
    fee: fc.integer({ min: 100, max: 200_000 }),
    leadQh: fc.integer({ min: 0, max: 4 * 96 }),
  }),
  fc.record({
    kind: fc.constant('slot' as const),
    doctor: fc.nat(2),
    window: fc.nat(1),
    qh: fc.nat(SPAN_QH - 1),
    blocked: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('signup' as const), window: fc.nat(1), minute: fc.nat(SPAN_QH * 15 - 1) }),
  fc.record({ kind: fc.constant('change' as const), pick: fc.nat(1_000_000), what: fc.nat(5) }),
  fc.record({ kind: fc.constant('refresh' as const) }),
);

/** Swallows the constraint violations a random row may hit (overlapping slots): the row isn't made. */
async function tolerant(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23P01' && code !== '23505' && code !== 'P0001') throw error;
  }
}

async function apply(o: Record<string, unknown>) {
  const at = (window: number, qh: number) => new Date(WINDOWS[window]! + qh * QH);
  if (o.kind === 'slot') {
    const start = at(o.window as number, o.qh as number);
    await tolerant(() =>
      db()
        .insertInto('slots')
        .values({
          doctor_id: doctors[o.doctor as number]!,
          starts_at: start,
          ends_at: new Date(start.getTime() + 2 * QH),
          mode: 'video',
          status: o.blocked ? 'blocked' : 'open',
          source: 'manual',
          held_until: null,
          updated_at: start,
        })
        .execute(),
    );
  } else if (o.kind === 'signup') {
    await patient(new Date(WINDOWS[o.window as number]! + (o.minute as number) * 60_000 + 7_000));
  } else if (o.kind === 'appointment') {
    const start = at(o.window as number, o.qh as number);
    const end = new Date(start.getTime() + (o.length as number) * QH);
    const doctorId = doctors[o.doctor as number]!;
    const status = o.status as string;
    const payment = o.payment as (typeof PAYMENT)[number];
    await tolerant(() =>
      db()
        .transaction()
        .execute(async (tx) => {
          const slot = await tx
            .insertInto('slots')
            .values({
              doctor_id: doctorId,
              starts_at: start,
              ends_at: end,
              mode: 'video',
              status: 'booked',
              source: 'manual',
              held_until: null,
              updated_at: start,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          const patientId = await patient(new Date(start.getTime() - 30 * 86_400_000));
          const created = new Date(start.getTime() - (o.leadQh as number) * QH - 1234);
          const a = await tx
            .insertInto('appointments')
            .values({
              slot_id: slot.id,
              doctor_id: doctorId,
              patient_id: patientId,
              starts_at: start,
              ends_at: end,
              booked_starts_at: start,
              mode: 'video',
              status: status as never,
              hold_expires_at: status === 'pending_payment' ? new Date(start.getTime() - 60_000) : null,
              fee_minor: o.fee as number,
              currency: 'INR',
              cancelled_by: status === 'cancelled' ? 'patient' : null,
              created_at: created,
              updated_at: created,
              // Set by a trigger on updates (never by the code); a row born completed carries it.
              ...(status === 'completed' ? ({ completed_at: end } as object) : {}),
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          if (payment !== 'none') {
            await tx
              .insertInto('payments')
              .values({
                appointment_id: a.id,
                amount_minor: o.fee as number,
                currency: 'INR',
                provider: 'sandbox',
                status: payment,
                refund_amount_minor:
                  payment === 'refunded' || payment === 'refund_pending'
                    ? Math.floor((o.fee as number) / 2)
                    : 0,
                payer_id: patientId,
                created_at: created,
                updated_at: created,
              })
              .execute();
          }
        }),
    );
  } else if (o.kind === 'change') {
    await change(o.pick as number, o.what as number);
  } else {
    await t.services.analytics.refresh();
  }
}

const NEXT: Record<string, string> = {
  pending_payment: 'confirmed',
  confirmed: 'in_progress',
  in_progress: 'completed',
};

/**
 * Moves a random existing row on: a status step, a payment paid or refunded, a reschedule by days or
 * into another month, a slot removed, a slot held, booked, opened or blocked.
 */
async function change(pick: number, what: number) {
  const { rows } = await sql<{ id: string; starts_at: Date; status: string }>`
    SELECT id, starts_at, status FROM appointments ORDER BY id OFFSET ${pick} % greatest((SELECT count(*) FROM appointments), 1) LIMIT 1`.execute(
    db(),
  );
  const a = rows[0];
  if (!a) return;
  const key = { id: a.id, starts_at: a.starts_at };
  if (what === 0 && NEXT[a.status]) {
    await tolerant(() =>
      db()
        .updateTable('appointments')
        .set({ status: NEXT[a.status] as never })
        .where('id', '=', key.id)
        .where('starts_at', '=', key.starts_at)
        .execute(),
    );
  } else if (what === 1) {
    // Paid, then refunded.
    await sql`UPDATE payments SET
        status = CASE status WHEN 'created' THEN 'captured' ELSE 'refunded' END,
        refund_amount_minor = CASE status WHEN 'created' THEN 0 ELSE amount_minor END
      WHERE appointment_id = ${a.id} AND status IN ('created', 'captured')`.execute(db());
  } else if (what === 2 && (a.status === 'confirmed' || a.status === 'pending_payment')) {
    // A reschedule: by two days, or by a month (into another partition: a delete and an insert).
    const by = sql.raw(pick % 2 === 0 ? `interval '2 days 45 minutes'` : `interval '31 days'`);
    await tolerant(() =>
      db()
        .updateTable('appointments')
        .set({
          starts_at: sql`starts_at + ${by}`,
          ends_at: sql`ends_at + ${by}`,
          updated_at: sql`updated_at`,
        })
        .where('id', '=', key.id)
        .where('starts_at', '=', key.starts_at)
        .execute(),
    );
  } else if (what === 4 || what === 5) {
    // A slot's status moves on: held, booked, open again, blocked (only some change a figure).
    const next = `CASE status WHEN 'open' THEN ${what === 4 ? `'held'` : `'blocked'`} WHEN 'held' THEN 'booked' ELSE 'open' END`;
    // Slots no appointment names (a booked one stays booked while its appointment lives).
    await sql`WITH free AS (SELECT id FROM slots s WHERE NOT EXISTS (SELECT FROM appointments a WHERE a.slot_id = s.id))
      UPDATE slots SET status = ${sql.raw(next)},
        held_until = CASE WHEN ${sql.raw(next)} = 'held' THEN starts_at END
      WHERE id = (SELECT id FROM free ORDER BY id OFFSET ${pick} % greatest((SELECT count(*) FROM free), 1) LIMIT 1)`.execute(
      db(),
    );
  } else if (what === 3) {
    await db()
      .deleteFrom('slots')
      .where('status', '=', 'open')
      .where('id', 'in', db().selectFrom('slots').select('id').where('status', '=', 'open').limit(1))
      .execute();
  }
}

const plain = (t: Totals) => ({
  ...byStatus(t),
  ...derived(t),
  revenue: t.captured_minor! - t.refunded_minor!,
});

async function expectEqualToOracle(tz: string, from: string, to: string) {
  const token = admin.accessToken;
  const get = async (url: string) => {
    const res = await t.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const q = `from=${from}&to=${to}&tz=${encodeURIComponent(tz)}`;
  const overview = await get(`/admin/analytics/overview?${q}`);
  expect(overview.pendingChanges).toBe(0);
  const bounds = await boundsOf(db(), from, to, tz);
  const days = await oracleDays(db(), bounds, tz);
  const signups = await oracleSignups(db(), bounds, tz);
  for (const day of overview.days) {
    const expected = days.filter((d) => d.day === day.date);
    const sum = (m: string) => expected.reduce((s, d) => s + d.totals[m]!, 0);
    expect({ date: day.date, ...day.appointments, booked: day.booked, newPatients: day.newPatients }).toEqual(
      {
        date: day.date,
        ...Object.fromEntries(STATUSES.map((s) => [s, sum(s)])),
        booked: expected.reduce((s, d) => s + derived(d.totals).booked, 0),
        newPatients: signups.get(day.date) ?? 0,
      },
    );
    const net = day.revenue.reduce((s: number, r: { netMinor: number }) => s + r.netMinor, 0);
    expect(net).toBe(sum('captured_minor') - sum('refunded_minor'));
  }
  const doctorsAnswer = await get(`/admin/analytics/doctors?${q}&limit=100`);
  const oracle = await oracleDoctors(db(), bounds, 'INR');
  for (const item of doctorsAnswer.items) {
    const o = oracle.get(item.doctorId);
    const p = o ? plain(o) : undefined;
    expect({
      id: item.doctorId,
      booked: item.booked,
      completed: item.completed,
      noShows: item.noShows,
      offered: item.slotsOffered,
      slotsBooked: item.slotsBooked,
      revenue: item.revenueMinor,
      utilization: item.utilization,
    }).toEqual({
      id: item.doctorId,
      booked: p?.booked ?? 0,
      completed: p?.completed ?? 0,
      noShows: p?.no_show ?? 0,
      offered: o?.slots_offered ?? 0,
      slotsBooked: o?.slots_booked ?? 0,
      revenue: p?.revenue ?? 0,
      utilization: p?.utilization ?? null,
    });
  }
}

const range = fc.record({
  tz: fc.constantFrom(...ZONES),
  window: fc.nat(1),
  startDay: fc.integer({ min: -3, max: 44 }),
  days: fc.integer({ min: 1, max: 50 }),
});
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('analytics = the raw recomputation', () => {
  it('after any sequence of writes and refreshes, for ranges in any zone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 60 }),
        fc.array(range, { minLength: 1, maxLength: 3 }),
        async (ops, ranges) => {
          for (const o of ops) await apply(o as never);
          await t.services.analytics.refresh();
          for (const r of ranges) {
            const from = WINDOWS[r.window]! + r.startDay * 86_400_000;
            await expectEqualToOracle(r.tz, dateOf(from), dateOf(from + (r.days - 1) * 86_400_000));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('a range of a whole year reads the month grain and still equals the oracle', async () => {
    const { rows } = await sql<{
      a: number;
      s: number;
      p: number;
      d: number;
    }>`SELECT (SELECT count(*) FROM appointments)::int a, (SELECT count(*) FROM slots)::int s, (SELECT count(*) FROM payments)::int p, (SELECT count(*) FROM analytics_doctor_month)::int d`.execute(
      db(),
    );
    console.log(rows);
    await expectEqualToOracle('Asia/Kolkata', '2026-01-15', '2027-01-14');
    await expectEqualToOracle('America/New_York', '2026-01-01', '2026-12-31');
  });
});
