import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, type AuthContext, SYSTEM } from '../src/http/index.ts';
import { KeyTaken } from '../src/platform/idempotency-store.ts';
import {
  type Account,
  createDoctor,
  quickPatients,
  signUp,
  startTestApp,
  type TestApp,
} from './helpers/app.ts';
import { bookingInvariantViolations } from './helpers/invariants.ts';

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const op = fc.oneof(
  fc.record({ kind: fc.constant('book' as const), patient: fc.nat(3), slot: fc.nat(2) }),
  fc.record({
    kind: fc.constant('step' as const),
    patient: fc.nat(3),
    step: fc.constantFrom('start' as const, 'complete' as const, 'noShow' as const),
  }),
  fc.record({
    kind: fc.constant('cancel' as const),
    patient: fc.nat(3),
    by: fc.constantFrom('patient' as const, 'doctor' as const),
  }),
  fc.record({ kind: fc.constant('reschedule' as const), patient: fc.nat(3), slot: fc.nat(2) }),
  fc.record({ kind: fc.constant('pay' as const), patient: fc.nat(3), ok: fc.boolean() }),
  fc.record({
    kind: fc.constant('expire' as const),
    advanceMs: fc.constantFrom(0, 300_000, 700_000, 3 * 86_400_000),
  }),
);

const keyOf = (userId: string) => ({ userId, key: randomUUID(), fingerprints: [randomUUID()] });

describe('booking under random interleavings', () => {
  it('book, pay, cancel, reschedule, expire, start, complete and no-show in any order keep the slot invariants', {
    timeout: 180_000,
  }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          run += 1;
          t.clock.set('2026-03-01T00:00:00Z');
          // New patients each run: holds of earlier runs would count against the hold quota.
          const patients = await quickPatients(t, 4);
          const doctor = await createDoctor(t, admin);
          const doctorAuth: AuthContext = {
            userId: doctor.id,
            role: 'doctor',
            sessionId: doctor.id,
            mfa: false,
          };
          // Fresh slots far apart per run so runs never collide in a patient's calendar.
          const base = Date.parse('2026-04-01T00:00:00Z') + run * 86_400_000;
          const slots = await t.platform.db
            .insertInto('slots')
            .values(
              [0, 1, 2].map((i) => ({
                doctor_id: doctor.id,
                starts_at: new Date(base + i * 3_600_000),
                ends_at: new Date(base + i * 3_600_000 + 1_800_000),
                mode: 'video' as const,
                source: 'manual' as const,
                updated_at: new Date(),
              })),
            )
            .returning('id')
            .execute();
          const auth = (i: number): AuthContext => ({
            userId: patients[i]!.id,
            role: 'patient',
            sessionId: patients[i]!.id,
            mfa: false,
          });
          const latest = async (i: number) =>
            t.platform.db
              .selectFrom('appointments')
              .select(['id', 'status'])
              .where('patient_id', '=', patients[i]!.id)
              .where('doctor_id', '=', doctor.id)
              .orderBy('created_at', 'desc')
              .executeTakeFirst();
          const { appointments, payments, paymentEvents } = t.services;

          const perform = async (o: (typeof batches)[number][number]) => {
            switch (o.kind) {
              case 'book':
                return appointments.book(
                  auth(o.patient),
                  { slotId: slots[o.slot]!.id },
                  SYSTEM,
                  keyOf(auth(o.patient).userId),
                );
              case 'cancel': {
                const a = await latest(o.patient);
                if (!a) return;
                const by = o.by === 'doctor' ? doctorAuth : auth(o.patient);
                return appointments.cancel(by, a.id, 'changed plans', SYSTEM, keyOf(by.userId));
              }
              case 'reschedule': {
                const a = await latest(o.patient);
                if (a)
                  return appointments.reschedule(
                    auth(o.patient),
                    a.id,
                    slots[o.slot]!.id,
                    SYSTEM,
                    keyOf(auth(o.patient).userId),
                  );
                return;
              }
              case 'step': {
                const a = await latest(o.patient);
                if (a) return appointments.advance(doctorAuth, a.id, o.step, SYSTEM);
                return;
              }
              case 'pay': {
                const a = await latest(o.patient);
                if (!a) return;
                const row = await t.platform.db
                  .selectFrom('payments')
                  .selectAll()
                  .where('appointment_id', '=', a.id)
                  .executeTakeFirst();
                if (!row) return;
                const p = await payments.ensureOrder(row);
                return paymentEvents.apply(
                  o.ok
                    ? {
                        id: randomUUID(),
                        type: 'payment.captured',
                        orderId: p.provider_order_id!,
                        paymentId: `pay_${randomUUID()}`,
                        amountMinor: p.amount_minor,
                        currency: p.currency,
                      }
                    : {
                        id: randomUUID(),
                        type: 'payment.failed',
                        orderId: p.provider_order_id!,
                        paymentId: `pay_${randomUUID()}`,
                        reason: 'declined',
                      },
                );
              }
              case 'expire':
                t.clock.advance(o.advanceMs);
                return appointments.expireHolds();
            }
          };

          for (const batch of batches) {
            const results = await Promise.allSettled(batch.map(perform));
            for (const r of results) {
              // Refusals (409, 404, 400…) and a key already answered are business answers; anything else is a bug.
              if (
                r.status === 'rejected' &&
                !(r.reason instanceof AppError && r.reason.status < 500) &&
                !(r.reason instanceof KeyTaken)
              )
                throw r.reason;
            }
            expect(await bookingInvariantViolations(t.platform.db)).toEqual([]);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
