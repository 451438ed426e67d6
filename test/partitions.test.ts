import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/http/index.ts';
import { listQuery } from '../src/modules/appointments/repo.ts';
import type { PartitionReport } from '../src/platform/db/partitions.ts';
import { type Account, createDoctor, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// Monthly partitions (migration 0011) as the product keeps them. The clock starts in 2025, months
// before the real date: the migration makes partitions only around the real date, so every month
// here exists because start-up or maintenance made it.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2025-01-10T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const db = () => t.platform.db;
const months = async (table: string) =>
  (
    await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = ${table}::regclass ORDER BY 1`.execute(db())
  ).rows.map((r) => r.name);
const partitionOf = async (id: string) =>
  (
    await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM appointments WHERE id = ${id}`.execute(
      db(),
    )
  ).rows[0]?.p;
const maintain = async () =>
  Object.fromEntries((await t.services.partitions.run()).map((r) => [r.table, r])) as Record<
    string,
    PartitionReport
  >;
const metric = async (table: string) =>
  Number(
    new RegExp(`partition_default_rows\\{table="${table}"\\} (\\d+)`).exec(
      (await t.inject({ method: 'GET', url: '/metrics' })).body,
    )?.[1],
  );

/** A verified doctor's 30-minute slots at these instants (inserted as they are: any distance ahead). */
async function slotsAt(doctor: Account, ...starts: string[]) {
  const rows = await db()
    .insertInto('slots')
    .values(
      starts.map((s) => ({
        doctor_id: doctor.id,
        starts_at: new Date(s),
        ends_at: new Date(Date.parse(s) + 1_800_000),
        mode: 'video' as const,
        source: 'manual' as const,
        updated_at: t.clock.now(),
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

describe('months ahead', () => {
  it('start-up makes this month and 3 more; maintenance keeps 3 ahead as the clock moves', async () => {
    for (const table of ['appointments', 'audit_logs']) {
      expect(await months(table)).toEqual(
        expect.arrayContaining([`${table}_y2025m01`, `${table}_y2025m04`, `${table}_default`]),
      );
      expect(await months(table)).not.toContain(`${table}_y2025m05`);
    }
    t.clock.set('2025-02-20T00:00:00Z');
    const report = await maintain();
    expect(report.appointments).toMatchObject({
      created: ['2025-05'],
      detached: [],
      defaultRows: 0,
      busy: null,
    });
    expect(report.audit_logs!.created).toEqual(['2025-05']);
    expect(report.appointments!.months.slice(0, 5)).toEqual([
      '2025-01',
      '2025-02',
      '2025-03',
      '2025-04',
      '2025-05',
    ]);
    expect((await maintain()).appointments!.created).toEqual([]); // made once
    expect(await metric('appointments')).toBe(0);
  });
});

describe('a month nobody made yet', () => {
  it('its rows wait in the DEFAULT partition (counted for the alert) and move into the month when it is made', async () => {
    t.clock.set('2025-02-20T00:00:00Z');
    const doctor = await createDoctor(t, admin, { feeMinor: 0 });
    const [far] = await slotsAt(doctor, '2025-09-15T10:00:00Z');
    const patient = await signUp(t);
    const booked = await kit.book(patient, far!);
    expect(booked.statusCode, booked.body).toBe(201);
    const id = booked.json().id;
    expect(await partitionOf(id)).toBe('appointments_default');
    // An audit row of a month without its partition, sealed into the chain there.
    t.clock.set('2025-09-01T08:00:00Z');
    await t.services.audit.record(db(), SYSTEM, { action: 'test.stray', entity: 'test' });
    await t.services.audit.seal();
    expect(await metric('appointments')).toBe(1);
    expect(await metric('audit_logs')).toBe(1);
    await kit.assertInvariants();

    t.clock.set('2025-06-15T00:00:00Z');
    const report = await maintain();
    expect(report.appointments!.created).toEqual(['2025-06', '2025-07', '2025-08', '2025-09']);
    expect(report.audit_logs!.created).toEqual(['2025-06', '2025-07', '2025-08', '2025-09']);
    expect(await partitionOf(id)).toBe('appointments_y2025m09');
    expect(await metric('appointments')).toBe(0);
    expect(await metric('audit_logs')).toBe(0);
    const stray = await sql<{ p: string; seq: number | null }>`
      SELECT tableoid::regclass::text AS p, seq FROM audit_logs WHERE action = 'test.stray'`.execute(db());
    expect(stray.rows).toEqual([{ p: 'audit_logs_y2025m09', seq: expect.any(Number) }]);
    expect(await t.services.audit.verify()).toMatchObject({ ok: true, unsealed: 0 });
    // The moved rows keep every rule: still readable, still one per slot, cancelled as usual.
    const token = await freshToken(t, patient);
    expect((await kit.appointment({ accessToken: token }, id)).status).toBe('confirmed');
    const other = await signUp(t);
    expect((await kit.book(other, far!)).json().code).toBe('SLOT_UNAVAILABLE');
    const cancel = await kit.call(token, 'POST', `/appointments/${id}/cancel`, { reason: 'x' });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await kit.assertInvariants();
  });
});

describe('across a month boundary', () => {
  it('books a slot of next month into its month, and a reschedule moves the row between months', async () => {
    t.clock.set('2025-03-27T12:00:00Z');
    const doctor = await createDoctor(t, admin);
    const [april2, march31, april3] = await slotsAt(
      doctor,
      '2025-04-02T10:00:00Z',
      '2025-03-31T10:00:00Z',
      '2025-04-03T10:00:00Z',
    );
    const patient = await signUp(t);
    const booked = (await kit.book(patient, april2!)).json();
    expect(await partitionOf(booked.id)).toBe('appointments_y2025m04');
    await kit.checkout(patient, booked.payment.id);
    await kit.pay(patient, booked.payment.id, 'succeed');

    const move = (slotId: string) =>
      kit.call(patient.accessToken, 'POST', `/appointments/${booked.id}/reschedule`, { slotId });
    const back = await move(march31!);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({
      status: 'confirmed',
      slotId: march31,
      startsAt: '2025-03-31T10:00:00.000Z',
    });
    expect(back.json().payment.id).toBe(booked.payment.id);
    expect(await partitionOf(booked.id)).toBe('appointments_y2025m03');
    const where = await sql<{ starts_at: Date; slot_id: string }>`
      SELECT i.starts_at, c.slot_id FROM appointment_ids i JOIN patient_commitments c ON c.appointment_id = i.id
      WHERE i.id = ${booked.id}`.execute(db());
    expect(where.rows).toEqual([{ starts_at: new Date('2025-03-31T10:00:00Z'), slot_id: march31 }]);
    expect(await kit.slotStatus(april2!)).toBe('open');
    expect((await kit.appointment(patient, booked.id)).startsAt).toBe('2025-03-31T10:00:00.000Z');
    await kit.assertInvariants();

    // Two moves to either month and a cancellation, all at once: each is decided in turn, none fails.
    const answers = await Promise.all([
      move(april3!),
      move(april2!),
      kit.call(patient.accessToken, 'POST', `/appointments/${booked.id}/cancel`, { reason: 'x' }),
    ]);
    for (const a of answers) expect(a.statusCode, a.body).toBeLessThan(500);
    expect(answers.filter((a) => a.statusCode === 200).length).toBeGreaterThanOrEqual(1);
    const final = await kit.appointment(patient, booked.id);
    expect(await partitionOf(booked.id)).toBe(
      final.startsAt.startsWith('2025-04') ? 'appointments_y2025m04' : 'appointments_y2025m03',
    );
    await kit.assertInvariants();
  });
});

describe('a month of appointments, read by doctor or patient', () => {
  it('reads one partition (EXPLAIN)', async () => {
    const doctor = await db()
      .selectFrom('appointments')
      .select(['doctor_id', 'patient_id'])
      .where('starts_at', '>=', new Date('2025-04-01T00:00:00Z'))
      .executeTakeFirstOrThrow();
    const month = { from: new Date('2025-04-01T00:00:00Z'), to: new Date('2025-05-01T00:00:00Z') };
    for (const filter of [{ doctorId: doctor.doctor_id }, { patientId: doctor.patient_id }]) {
      const q = listQuery(db(), { ...filter, ...month, limit: 21, now: t.clock.now() }).compile();
      const explain = (format: string) =>
        db().executeQuery<{ 'QUERY PLAN': unknown }>({ ...q, sql: `EXPLAIN (${format}) ${q.sql}` });
      const text = (await explain('COSTS OFF')).rows.map((r) => r['QUERY PLAN']).join('\n');
      console.log(`GET /appointments for April 2025 by ${Object.keys(filter)[0]}:\n${text}`);
      const plan = JSON.stringify((await explain('FORMAT JSON')).rows[0]!['QUERY PLAN']);
      const relations = [...plan.matchAll(/"Relation Name":"(appointments[^"]*)"/g)].map((m) => m[1]);
      expect(relations).toEqual(['appointments_y2025m04']);
    }
  });
});
