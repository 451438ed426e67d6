/**
 * Random writes for the analytics property test: rows written straight into the tables, as any
 * writer would (appointments with their slot and payment, slots, sign-ups), and changes to them
 * (status steps, payments paid and refunded, reschedules by days or into another month, slots
 * removed, held, booked, opened or blocked). Constraint violations a random row may hit are
 * swallowed: that row isn't made.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/index.ts';
import { APPOINTMENT_STATUSES } from '../../src/platform/db/schema.ts';

// Two windows with DST changes in them (US, EU, Lord Howe, St John's), ~6 weeks each.
export const WINDOWS = [Date.parse('2026-02-26T00:00:00Z'), Date.parse('2026-10-01T00:00:00Z')];
export const QH = 900_000;
export const SPAN_QH = 45 * 96;

const PAYMENT = ['none', 'created', 'captured', 'refunded', 'refund_pending', 'failed'] as const;

export const op = fc.oneof(
  fc.record({
    kind: fc.constant('appointment' as const),
    doctor: fc.nat(2),
    window: fc.nat(1),
    qh: fc.nat(SPAN_QH - 1),
    length: fc.integer({ min: 1, max: 3 }),
    status: fc.constantFrom(...APPOINTMENT_STATUSES),
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

const NEXT: Record<string, string> = {
  pending_payment: 'confirmed',
  confirmed: 'in_progress',
  in_progress: 'completed',
};

/** `apply(op)` for a database, its doctors, and the refresher (an op may ask for a refresh). */
export function randomWrites(db: () => Db, doctors: readonly string[], refresh: () => Promise<unknown>) {
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
      await refresh();
    }
  }

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

  return apply;
}
