import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { type Account, createDoctor, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// The same partitions on PGlite (embedded mode): one migration (down and up over data too), the
// same moves between months, strays, and retention.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ mode: 'embedded', clockStart: '2025-01-10T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const partitionOf = async (id: string) =>
  (
    await sql<{ p: string }>`SELECT tableoid::regclass::text AS p FROM appointments WHERE id = ${id}`.execute(
      t.platform.db,
    )
  ).rows[0]?.p;

describe('partitions in embedded mode', () => {
  it('moves a row between months, takes in strays when their month is made, archives past months', async () => {
    const doctor = await createDoctor(t, admin, { feeMinor: 0 });
    const slots = await t.platform.db
      .insertInto('slots')
      .values(
        ['2025-02-27T10:00:00Z', '2025-03-03T10:00:00Z', '2025-08-10T10:00:00Z'].map((s) => ({
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
    const patient = await signUp(t);
    const a = (await kit.book(patient, slots[0]!.id)).json();
    expect(await partitionOf(a.id)).toBe('appointments_y2025m02');
    const moved = await kit.call(patient.accessToken, 'POST', `/appointments/${a.id}/reschedule`, {
      slotId: slots[1]!.id,
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await partitionOf(a.id)).toBe('appointments_y2025m03');

    const strayPatient = await signUp(t);
    const stray = (await kit.book(strayPatient, slots[2]!.id)).json();
    expect(await partitionOf(stray.id)).toBe('appointments_default');
    t.clock.set('2025-05-20T00:00:00Z');
    const [made] = await t.services.partitions.run();
    expect(made).toMatchObject({
      table: 'appointments',
      created: ['2025-05', '2025-06', '2025-07', '2025-08'],
    });
    expect(await partitionOf(stray.id)).toBe('appointments_y2025m08');
    expect((await kit.appointment({ accessToken: await freshToken(t, patient) }, a.id)).status).toBe(
      'confirmed',
    );
    const cancel = await kit.call(
      await freshToken(t, strayPatient),
      'POST',
      `/appointments/${stray.id}/cancel`,
      {
        reason: 'x',
      },
    );
    expect(cancel.statusCode, cancel.body).toBe(200);
    await t.services.audit.seal();
    await kit.assertInvariants();

    // Migration 0011 down and up again on PGlite: the same rows, in their months.
    const rows = async () =>
      (
        await sql<{ r: unknown }>`SELECT to_jsonb(a) AS r FROM appointments a ORDER BY id`.execute(
          t.platform.db,
        )
      ).rows;
    const before = await rows();
    const migrator = new Migrator({ db: t.platform.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0010_notifications')).error).toBeUndefined();
    expect(await rows()).toEqual(before);
    await migrateToLatest(t.platform.db);
    expect(await rows()).toEqual(before);
    expect(await partitionOf(a.id)).toBe('appointments_y2025m03');
    expect(await t.services.audit.verify()).toMatchObject({ ok: true, unsealed: 0 });
    await kit.assertInvariants();

    // Eight years on: the 2025 months go to the archive, but March's (a live appointment) and the
    // audit month with the chain's newest seals.
    t.clock.set('2033-06-01T00:00:00Z');
    const [appointments, audit] = await t.services.partitions.run();
    expect(appointments!.detached).toContain('2025-08');
    expect(appointments!.kept).toEqual(['2025-03']);
    expect(audit!.detached.length).toBeGreaterThan(0);
    expect(audit!.kept).toHaveLength(1);
    expect(await t.services.audit.verify()).toMatchObject({ ok: true, unsealed: 0 });
    const archived = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM archive.appointments_y2025m08 WHERE id = ${stray.id}`.execute(
      t.platform.db,
    );
    expect(archived.rows[0]!.n).toBe(1);
  });
});
