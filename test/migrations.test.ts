import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { type Account, signUp, startTestApp, type TestApp } from './helpers/app.ts';
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
