/**
 * The seeded past as table rows (the story is story.ts): past slots, appointments and their
 * appointment_ids, payments, refunds, reviews and the audit trail, in PostgreSQL's text format.
 *
 * Invariants:
 * - Rows say what the product would have written for the same events: a booked slot stays booked
 *   after a visit took place (completed, no-show) and is open again after a cancellation or an
 *   expired hold; captured payments for every paid visit, refunded on cancellation when the
 *   product's rule refunds anything (a late one may keep it all); one review per
 *   reviewed visit, counted into its doctor's rating (RATING_SQL).
 * - The audit rows are sealed: they continue the hash chain from its head (`chain`), in the order
 *   the events happened (buckets per UTC day, emitted once no later day can add to them).
 */
import { chainHash } from '../../modules/audit/chain.ts';
import type { TableSpec, Value } from './rows.ts';
import { DAY, MAX_LEAD, type Names, type PastSlot, type Visit } from './story.ts';

export interface HistoryIds {
  doctors: readonly string[];
  patients: readonly string[];
  /** Ids of the story's own things. */
  of: Names;
}

const iso = (ms: number) => new Date(ms).toISOString();
const spec = (name: string, columns: string): TableSpec => ({
  name,
  columns: columns.split(' ').map((c) => {
    const [column, type] = c.split(':') as [string, string];
    return [column, type] as const;
  }),
});

export const PAST_SLOTS = spec(
  'slots',
  'id:uuid doctor_id:uuid starts_at:timestamptz ends_at:timestamptz mode:text status:text source:text created_at:timestamptz updated_at:timestamptz',
);
export const APPOINTMENT_IDS = spec('appointment_ids', 'id:uuid starts_at:timestamptz');
export const APPOINTMENTS = spec(
  'appointments',
  'id:uuid slot_id:uuid doctor_id:uuid patient_id:uuid starts_at:timestamptz ends_at:timestamptz mode:text ' +
    'status:text hold_expires_at:timestamptz fee_minor:integer currency:text cancelled_by:text created_at:timestamptz ' +
    'updated_at:timestamptz booked_starts_at:timestamptz completed_at:timestamptz',
);
export const PAYMENTS = spec(
  'payments',
  'id:uuid appointment_id:uuid amount_minor:integer currency:text provider:text status:text provider_order_id:text ' +
    'provider_payment_id:text refund_amount_minor:integer created_at:timestamptz updated_at:timestamptz payer_id:uuid',
);
export const REFUNDS = spec(
  'refunds',
  'id:uuid payment_id:uuid provider_payment_id:text amount_minor:integer currency:text reason:text status:text ' +
    'provider_refund_id:text attempts:integer asked_at:timestamptz created_at:timestamptz updated_at:timestamptz',
);
export const REVIEWS = spec(
  'reviews',
  'id:uuid appointment_id:uuid doctor_id:uuid patient_id:uuid rating:smallint created_at:timestamptz',
);
export const AUDIT_LOGS = spec(
  'audit_logs',
  'id:uuid seq:bigint occurred_at:timestamptz actor_id:uuid actor_role:text action:text entity:text ' +
    'entity_id:text details:jsonb prev_hash:text hash:text',
);

/** Each doctor's rating from the reviews, as the review path keeps it. */
export const RATING_SQL = `
  UPDATE doctors AS d SET rating_count = r.n, rating_sum = r.total, rating_avg = round(r.total::numeric / r.n, 2)
  FROM (SELECT doctor_id, count(*)::int AS n, sum(rating)::int AS total FROM reviews GROUP BY doctor_id) AS r
  WHERE d.user_id = r.doctor_id`;

type Days = Iterable<PastSlot[]>;

function* visits(days: Days): Generator<Visit> {
  for (const day of days) for (const slot of day) if (slot.visit) yield slot.visit;
}

export function* pastSlotRows(days: Days, ids: HistoryIds, createdAt: string): Generator<Value[]> {
  for (const day of days) {
    for (const s of day) {
      const kept = s.visit?.outcome === 'completed' || s.visit?.outcome === 'no_show';
      const updated = s.visit ? iso(s.visit.endedAt) : createdAt;
      yield [
        ids.of.slot(s),
        ids.doctors[s.doctor]!,
        iso(s.startsAt),
        iso(s.endsAt),
        'video',
        kept ? 'booked' : 'open',
        'schedule',
        createdAt,
        updated,
      ];
    }
  }
}

export function* appointmentIdRows(days: Days, ids: HistoryIds): Generator<Value[]> {
  for (const v of visits(days)) yield [ids.of.appointment(v), iso(v.slot.startsAt)];
}

export function* appointmentRows(days: Days, ids: HistoryIds, fees: readonly number[]): Generator<Value[]> {
  for (const v of visits(days)) {
    const starts = iso(v.slot.startsAt);
    yield [
      ids.of.appointment(v),
      ids.of.slot(v.slot),
      ids.doctors[v.slot.doctor]!,
      ids.patients[v.patient]!,
      starts,
      iso(v.slot.endsAt),
      'video',
      v.outcome,
      v.outcome === 'expired' ? iso(v.endedAt) : null,
      String(fees[v.slot.doctor]),
      'INR',
      v.outcome === 'cancelled' ? 'patient' : null,
      iso(v.bookedAt),
      iso(v.endedAt),
      starts,
      v.outcome === 'completed' ? iso(v.endedAt) : null,
    ];
  }
}

const paymentStatus = (v: Visit) =>
  v.refundMinor > 0 ? 'refunded' : v.paidAt !== null ? 'captured' : v.paymentFailed ? 'failed' : 'created';
const compact = (uuid: string) => uuid.replaceAll('-', '');

export function* paymentRows(days: Days, ids: HistoryIds, fees: readonly number[]): Generator<Value[]> {
  for (const v of visits(days)) {
    const id = ids.of.payment(v);
    const key = compact(id);
    const paid = v.paidAt !== null;
    const status = paymentStatus(v);
    yield [
      id,
      ids.of.appointment(v),
      String(fees[v.slot.doctor]),
      'INR',
      'sandbox',
      status,
      status === 'created' ? null : `order_${key}`, // no gateway order yet
      paid ? `pay_${key}` : null,
      String(v.refundMinor),
      iso(v.bookedAt),
      iso(v.refundMinor > 0 ? v.endedAt : (v.paidAt ?? v.endedAt)),
      ids.patients[v.patient]!,
    ];
  }
}

export function* refundRows(days: Days, ids: HistoryIds): Generator<Value[]> {
  for (const v of visits(days)) {
    if (v.refundMinor === 0) continue;
    const payment = ids.of.payment(v);
    const key = compact(payment);
    const at = iso(v.endedAt);
    yield [
      payment, // a payment is refunded at most once here: its id serves its refund too
      payment,
      `pay_${key}`,
      String(v.refundMinor),
      'INR',
      'cancellation',
      'processed',
      `rfnd_${key}`,
      '1',
      at,
      at,
      at,
    ];
  }
}

export function* reviewRows(days: Days, ids: HistoryIds): Generator<Value[]> {
  for (const v of visits(days)) {
    if (!v.review) continue;
    const { rating, at } = v.review;
    yield [
      ids.of.review(v),
      ids.of.appointment(v),
      ids.doctors[v.slot.doctor]!,
      ids.patients[v.patient]!,
      String(rating),
      iso(at),
    ];
  }
}

interface AuditEvent {
  at: number;
  actor: string | null;
  role: 'patient' | 'doctor' | null;
  action: string;
  entity: string;
  entityId: string;
  details: Record<string, unknown>;
}

function eventsOf(v: Visit, ids: HistoryIds): AuditEvent[] {
  const patient = ids.patients[v.patient]!;
  const doctor = ids.doctors[v.slot.doctor]!;
  const id = ids.of.appointment(v);
  const on = (at: number, action: string, actor: string | null, role: AuditEvent['role'], details = {}) =>
    ({ at, actor, role, action, entity: 'appointment', entityId: id, details }) satisfies AuditEvent;
  const events = [on(v.bookedAt, 'appointment.booked', patient, 'patient')];
  if (v.paidAt !== null) events.push(on(v.paidAt, 'appointment.confirmed', null, null));
  if (v.outcome === 'expired') events.push(on(v.endedAt, 'appointment.expired', null, null));
  if (v.outcome === 'no_show') events.push(on(v.endedAt, 'appointment.no_show', doctor, 'doctor'));
  if (v.outcome === 'completed') {
    events.push(on(v.slot.startsAt, 'appointment.started', doctor, 'doctor'));
    events.push(on(v.endedAt, 'appointment.completed', doctor, 'doctor'));
  }
  if (v.outcome === 'cancelled') {
    events.push(
      on(v.endedAt, 'appointment.cancelled', patient, 'patient', {
        by: 'patient',
        refundMinor: v.refundMinor,
      }),
    );
  }
  if (v.review) {
    events.push({
      ...on(v.review.at, 'review.created', patient, 'patient'),
      entity: 'review',
      entityId: ids.of.review(v),
    });
  }
  return events;
}

/**
 * The audit trail of every visit, sealed, continuing the chain from `chain` (its head, or the
 * genesis). `chain` is updated as rows are made: at the end it is the new head.
 */
export function* auditRows(
  days: Days,
  ids: HistoryIds,
  chain: { seq: number; hash: string },
): Generator<Value[]> {
  const buckets = new Map<number, AuditEvent[]>();
  function* emit(upTo: number): Generator<Value[]> {
    const ready = [...buckets.keys()].filter((d) => d < upTo).sort((a, b) => a - b);
    for (const d of ready) {
      const events = buckets.get(d)!.sort((a, b) => a.at - b.at);
      buckets.delete(d);
      for (const e of events) {
        const row = {
          id: ids.of.audit(chain.seq + 1, e.at),
          occurredAt: new Date(e.at),
          actorId: e.actor,
          actorRole: e.role,
          action: e.action,
          entity: e.entity,
          entityId: e.entityId,
          requestId: null,
          ip: null,
          details: e.details,
        };
        const seq = chain.seq + 1;
        const hash = chainHash(chain.hash, seq, row);
        yield [
          row.id,
          String(seq),
          row.occurredAt.toISOString(),
          e.actor,
          e.role,
          e.action,
          e.entity,
          e.entityId,
          JSON.stringify(e.details),
          chain.hash,
          hash,
        ];
        chain.seq = seq;
        chain.hash = hash;
      }
    }
  }
  for (const day of days) {
    for (const slot of day) {
      if (!slot.visit) continue;
      for (const e of eventsOf(slot.visit, ids)) {
        const d = Math.floor(e.at / DAY);
        const bucket = buckets.get(d) ?? [];
        if (bucket.length === 0) buckets.set(d, bucket);
        bucket.push(e);
      }
    }
    // Later days' visits were booked at most MAX_LEAD before their start: nothing earlier is to come.
    if (day.length > 0) yield* emit(Math.floor((day[0]!.startsAt - MAX_LEAD) / DAY));
  }
  yield* emit(Number.POSITIVE_INFINITY);
}
