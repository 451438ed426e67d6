import { APPOINTMENT_STATUSES, type AppointmentStatus } from '../../platform/db/schema.ts';

/**
 * What analytics count, defined once: the raw SQL of every measure (used by the rollups and by the
 * oracle alike) and what the API derives from them.
 *
 * - Everything is attributed to the appointment's (or slot's) start: a consultation's revenue,
 *   status and lead time belong to the day it takes place, in the zone the reader asks for.
 * - Paid: a payment captured, refunded or with its refund under way. Revenue is captured minus
 *   refunded, per currency (an appointment carries its currency; a slot the doctor's).
 * - Booked: paid and not abandoned: confirmed, in progress, completed, no-show, or cancelled after
 *   payment. Cancellation rate = cancelled after payment / booked; no-show rate = no-shows /
 *   (completed + no-shows); lead time = start − booking, averaged over booked.
 * - Slots offered: every slot not blocked; utilization = booked slots / offered.
 */
export const STATUSES = APPOINTMENT_STATUSES;
type Status = AppointmentStatus;

const PAID = `p.status IN ('captured', 'refund_pending', 'refunded')`;
const BOOKED = `(a.status IN ('confirmed', 'in_progress', 'completed', 'no_show') OR (a.status = 'cancelled' AND ${PAID}))`;

/** Aggregates over `appointments a LEFT JOIN payments p`, by name. */
export const APPOINTMENT_MEASURES: Record<string, string> = {
  ...Object.fromEntries(STATUSES.map((s) => [s, `count(*) FILTER (WHERE a.status = '${s}')`])),
  cancelled_paid: `count(*) FILTER (WHERE a.status = 'cancelled' AND ${PAID})`,
  captured_minor: `coalesce(sum(p.amount_minor) FILTER (WHERE ${PAID}), 0)`,
  refunded_minor: `coalesce(sum(p.refund_amount_minor) FILTER (WHERE ${PAID}), 0)`,
  lead_seconds: `coalesce(sum(floor(extract(epoch FROM a.starts_at - a.created_at))::bigint) FILTER (WHERE ${BOOKED}), 0)`,
};

/** Aggregates over `slots s`, by name. */
export const SLOT_MEASURES: Record<string, string> = {
  slots_offered: `count(*) FILTER (WHERE s.status <> 'blocked')`,
  slots_booked: `count(*) FILTER (WHERE s.status = 'booked')`,
};

/** Every rollup column, in table order. */
export const MEASURES = [...Object.keys(SLOT_MEASURES), ...Object.keys(APPOINTMENT_MEASURES)];

export type Totals = Record<(typeof MEASURES)[number], number>;

/** `sum(m)::bigint AS m, …` over rollup rows (or `prefix.m`). */
export const sumsSql = (prefix = '') => MEASURES.map((m) => `sum(${prefix}${m})::bigint AS ${m}`).join(', ');

export const QUARTER_HOUR = `date_bin('15 minutes', %, timestamptz '2000-01-01 00:00:00+00')`;
export const quarterHourOf = (column: string) => QUARTER_HOUR.replace('%', column);

/**
 * Per (doctor, quarter-hour, currency): the measures of the appointments `appointments` and the
 * slots `slots` give (SQL sources aliased `a` and `s`, e.g. a join that scopes them). The oracle
 * buckets otherwise (`bucketOf`: SQL of the bucket of a start column).
 */
export function freshSql(appointments: string, slots: string, bucketOf = quarterHourOf): string {
  const a = Object.entries(APPOINTMENT_MEASURES);
  const s = Object.entries(SLOT_MEASURES);
  return `
    SELECT doctor_id, bucket, currency,
      ${[...s, ...a].map(([m]) => `coalesce(${m}, 0) AS ${m}`).join(', ')}
    FROM (
      SELECT a.doctor_id, ${bucketOf('a.starts_at')} AS bucket, a.currency,
        ${a.map(([m, e]) => `${e} AS ${m}`).join(', ')}
      FROM ${appointments} LEFT JOIN payments p ON p.appointment_id = a.id
      GROUP BY 1, 2, 3
    ) ap
    FULL JOIN (
      SELECT s.doctor_id, ${bucketOf('s.starts_at')} AS bucket, d.currency,
        ${s.map(([m, e]) => `${e} AS ${m}`).join(', ')}
      FROM ${slots} JOIN doctors d ON d.user_id = s.doctor_id
      GROUP BY 1, 2, 3
    ) sl USING (doctor_id, bucket, currency)`;
}

/** Row values from the database (bigint arrives as text) as numbers. */
export function totalsOf(row: Record<string, unknown> | undefined): Totals {
  return Object.fromEntries(MEASURES.map((m) => [m, Number(row?.[m] ?? 0)])) as Totals;
}

export const booked = (t: Totals) =>
  t.confirmed! + t.in_progress! + t.completed! + t.no_show! + t.cancelled_paid!;
const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null);

/** The rates and averages the API shows, from sums. */
export function derived(t: Totals) {
  const b = booked(t);
  return {
    booked: b,
    cancellationRate: ratio(t.cancelled_paid!, b),
    noShowRate: ratio(t.no_show!, t.completed! + t.no_show!),
    averageLeadHours: b > 0 ? Math.round((t.lead_seconds! / b / 3600) * 10) / 10 : null,
    utilization: ratio(t.slots_booked!, t.slots_offered!),
  };
}

export const byStatus = (t: Totals) =>
  Object.fromEntries(STATUSES.map((s) => [s, t[s]!])) as Record<Status, number>;
