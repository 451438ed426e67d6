import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { oracleDoctors } from '../src/modules/analytics/oracle.ts';
import { boundsOf } from '../src/modules/analytics/repo.ts';
import { type Account, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// Migrations run on databases that already hold data: what was there before must read the same after.
let t: TestApp;
let kit: ReturnType<typeof bookingKit>;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const migrator = () =>
  new Migrator({ db: t.platform.db, provider: { getMigrations: async () => migrations } });

describe('0004_booking_core over rows written before it', () => {
  it('plain-text reasons (even one that looks like an envelope) are marked, read back as written, never a 500', async () => {
    const { slots } = await kit.doctorWithSlots(2);
    const patient = await signUp(t);
    const ids: string[] = [];
    for (const slot of slots) {
      // Paid, so the second may be held too (one unpaid hold per doctor).
      const res = await kit.call(patient.accessToken, 'POST', '/appointments', {
        slotId: slot.id,
        reason: 'x',
      });
      if (res.statusCode !== 201) throw new Error(res.body);
      ids.push(res.json().id);
      await kit.checkout(patient, res.json().payment.id);
      await kit.pay(patient, res.json().payment.id, 'succeed');
    }
    const down = await migrator().migrateTo('0003_booking');
    expect(down.error).toBeUndefined();
    // What 0003 stored: the patient's words as typed.
    const legacy = ['v1:not an envelope, typed by a patient', 'Knee pain since Monday'];
    for (const [i, id] of ids.entries()) {
      await sql`UPDATE appointments SET reason = ${legacy[i]} WHERE id = ${id}`.execute(t.platform.db);
    }
    await migrateToLatest(t.platform.db);
    for (const [i, id] of ids.entries()) {
      const res = await kit.call(patient.accessToken, 'GET', `/appointments/${id}`, undefined, null);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().reason).toBe(legacy[i]);
    }
    const stored = await sql<{
      reason: string;
    }>`SELECT reason FROM appointments WHERE id = ANY(${ids}::uuid[])`.execute(t.platform.db);
    expect(stored.rows.every((r) => r.reason.startsWith('v0:'))).toBe(true);
    // A new row can only hold an envelope.
    await expect(
      sql`UPDATE appointments SET reason = 'plain' WHERE id = ${ids[0]}`.execute(t.platform.db),
    ).rejects.toThrow(/appointments_reason_sealed/);
  });
});

describe('0011_partitions over rows written before it', () => {
  it('appointments with payments and reviews, and sealed audit rows, come over as they were; the chain verifies; the rules hold', async () => {
    const db = t.platform.db;
    const fresh = async (who: Account) => ({ ...who, accessToken: await freshToken(t, who) });
    // A consultation paid, held, completed and reviewed; and a paid one still to come (active).
    const { doctor, slots } = await kit.doctorWithSlots(2, { hoursAhead: 2 });
    const visitor = await signUp(t);
    const visit = (await kit.book(visitor, slots[0]!.id)).json();
    await kit.pay(visitor, visit.payment.id, 'succeed');
    const holder = await signUp(t);
    const held = (await kit.book(holder, slots[1]!.id)).json();
    await kit.pay(holder, held.payment.id, 'succeed');
    t.clock.set(slots[0]!.startsAt);
    const d = await fresh(doctor);
    for (const step of ['start', 'complete']) {
      expect(
        (await kit.call(d.accessToken, 'POST', `/appointments/${visit.id}/${step}`, undefined, null))
          .statusCode,
      ).toBe(200);
    }
    const review = await kit.call(
      (await fresh(visitor)).accessToken,
      'POST',
      `/appointments/${visit.id}/review`,
      { rating: 5 },
      null,
    );
    expect(review.statusCode, review.body).toBe(201);
    await t.services.audit.seal();

    const rows = async (table: string, order: string) =>
      (
        await sql<{
          r: unknown;
        }>`SELECT to_jsonb(x) AS r FROM ${sql.table(table)} x ORDER BY ${sql.raw(order)}`.execute(db)
      ).rows;
    const snapshot = async () => ({
      appointments: await rows('appointments', 'id'),
      payments: await rows('payments', 'id'),
      reviews: await rows('reviews', 'id'),
      audit: await rows('audit_logs', 'seq NULLS LAST, id'),
    });
    const kinds = async () =>
      (
        await sql<{
          relkind: string;
        }>`SELECT relkind FROM pg_class WHERE relname IN ('appointments', 'audit_logs') AND relnamespace = 'public'::regnamespace`.execute(
          db,
        )
      ).rows.map((r) => r.relkind);
    const before = await snapshot();
    expect(before.appointments.length).toBeGreaterThanOrEqual(2);
    expect(await kinds()).toEqual(['p', 'p']);

    expect((await migrator().migrateTo('0010_notifications')).error).toBeUndefined();
    expect(await kinds()).toEqual(['r', 'r']);
    expect(await snapshot()).toEqual(before);

    await migrateToLatest(db);
    expect(await kinds()).toEqual(['p', 'p']);
    expect(await snapshot()).toEqual(before);
    const where = await sql<{
      p: string;
    }>`SELECT DISTINCT tableoid::regclass::text AS p FROM appointments`.execute(db);
    expect(where.rows.map((r) => r.p)).toEqual(['appointments_y2026m03']);
    const commitments = await sql<{
      id: string;
    }>`SELECT appointment_id AS id FROM patient_commitments`.execute(db);
    expect(commitments.rows.map((r) => r.id)).toContain(held.id);
    expect(commitments.rows.map((r) => r.id)).not.toContain(visit.id);
    expect(await t.services.audit.verify()).toMatchObject({
      ok: true,
      unsealed: 0,
      checked: before.audit.length,
    });

    // The rules hold over the rows that came over: the held slot has its one winner, its holder no
    // second appointment at that time, and payments still need an appointment that exists.
    const late = await signUp(t);
    expect((await kit.book(late, slots[1]!.id)).json().code).toBe('SLOT_UNAVAILABLE');
    const other = await kit.doctorWithSlots(1, {
      hoursAhead: (Date.parse(slots[1]!.startsAt) - t.clock.now().getTime()) / 3_600_000,
    });
    expect((await kit.book(await fresh(holder), other.slots[0]!.id)).json().code).toBe('PATIENT_CONFLICT');
    await expect(
      sql`UPDATE payments SET appointment_id = gen_random_uuid() WHERE appointment_id = ${visit.id}`.execute(
        db,
      ),
    ).rejects.toThrow(/payments_appointment_id_fkey/);
    await kit.assertInvariants();

    // 0014 listed the rows that came over: the refresher builds the rollups equal to the raw rows.
    expect(
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM analytics_dirty`.execute(db)).rows[0]!.n),
    ).toBeGreaterThan(0);
    await t.services.analytics.refresh();
    const bounds = await boundsOf(db, '2026-03-01', '2026-03-31', 'Asia/Kolkata');
    const oracle = await oracleDoctors(db, bounds, 'INR');
    const answer = await t.services.analytics.doctors({
      from: '2026-03-01',
      to: '2026-03-31',
      tz: 'Asia/Kolkata',
      sort: 'revenue',
      currency: 'INR',
      limit: 100,
    });
    const active = answer.items.filter((i) => i.booked + i.slotsOffered > 0);
    expect(active.length).toBeGreaterThan(0);
    for (const item of active) {
      const o = oracle.get(item.doctorId)!;
      expect([item.slotsOffered, item.completed, item.revenueMinor]).toEqual([
        o.slots_offered,
        o.completed,
        o.captured_minor! - o.refunded_minor!,
      ]);
    }
  });
});

describe('0015_analytics_row_marks down and up', () => {
  const triggers = async () =>
    (
      await sql<{ t: string }>`
        SELECT tgrelid::regclass::text || ' ' || tgname AS t FROM pg_trigger
        WHERE NOT tgisinternal AND tgname LIKE '%analytics%' ORDER BY 1`.execute(t.platform.db)
    ).rows.map((r) => r.t);

  it('row marks on the table and its months; archived months keep their copies; down restores 0014 exactly', async () => {
    const db = t.platform.db;
    expect((await migrator().migrateTo('0014_analytics')).error).toBeUndefined();
    await sql`SELECT partition_add_month('appointments', '2020-01-01')`.execute(db);
    await sql`ALTER TABLE appointments DETACH PARTITION appointments_y2020m01`.execute(db);
    await sql`ALTER TABLE appointments_y2020m01 SET SCHEMA archive`.execute(db);
    const before = await triggers();
    expect(before).toContain('archive.appointments_y2020m01 appointments_analytics_update');

    await migrateToLatest(db);
    const after = await triggers();
    // Archived: left as they were. Attached months: the row triggers, no statement copies.
    expect(after.filter((x) => x.startsWith('archive.'))).toEqual(
      before.filter((x) => x.startsWith('archive.')),
    );
    const months = after.filter((x) => /^appointments_y\d{4}m\d{2} /.test(x));
    expect(months.length).toBeGreaterThan(0);
    expect(months.every((x) => / appointments_analytics_row(_update)?$/.test(x))).toBe(true);

    expect((await migrator().migrateTo('0014_analytics')).error).toBeUndefined();
    expect(await triggers()).toEqual(before);
    await migrateToLatest(db);
    expect(await triggers()).toEqual(after);
    await sql`DROP TABLE archive.appointments_y2020m01`.execute(db);
  });
});
