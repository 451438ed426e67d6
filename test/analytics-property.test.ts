import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byStatus, derived, type Totals } from '../src/modules/analytics/measures.ts';
import { oracleDays, oracleDoctors, oracleSignups } from '../src/modules/analytics/oracle.ts';
import { boundsOf } from '../src/modules/analytics/repo.ts';
import { APPOINTMENT_STATUSES } from '../src/platform/db/schema.ts';
import { op, randomWrites, WINDOWS } from './helpers/analytics-writes.ts';
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
const STATUSES = APPOINTMENT_STATUSES;
const apply = randomWrites(db, doctors, () => t.services.analytics.refresh());
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
    await expectEqualToOracle('Asia/Kolkata', '2026-01-15', '2027-01-14');
    await expectEqualToOracle('America/New_York', '2026-01-01', '2026-12-31');
  });
});
