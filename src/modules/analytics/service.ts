import { z } from 'zod';
import { AppError, assertOrdered, decodeCursor, encodeCursor } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { ReadRouter } from '../../platform/db/replica.ts';
import { addDays, zonedDate } from '../availability/timezone.ts';
import { byStatus, derived, type Totals, totalsOf } from './measures.ts';
import * as repo from './repo.ts';
import { pendingChanges, rebuildRollups, refreshRollups } from './rollups.ts';
import { DEFAULT_DAYS, DOCTOR_SORTS, type DoctorSort, type DoctorsQuery, MAX_DAYS } from './schemas.ts';

/**
 * Admin analytics (SPEC §3.8). Read from the rollups through the read router (the replica when
 * there is one: analytics may be a moment behind, and say how far: `pendingChanges`).
 *
 * - A range is whole days in `tz`, `from` to `to` inclusive, at most MAX_DAYS: else 400.
 * - Figures equal the raw recomputation (oracle.ts) once `pendingChanges` is 0.
 */
const DAY_MS = 86_400_000;
const READ_KEYS = ['analytics'];

const cursorShape = z.object({
  s: z.enum(DOCTOR_SORTS),
  v: z.union([z.number(), z.string().max(200)]),
  id: z.uuid(),
});

type DoctorItem = ReturnType<typeof doctorItem>;

function doctorItem(row: repo.DoctorRow) {
  const t = row.totals;
  const d = derived(t);
  return {
    doctorId: row.doctor_id,
    name: row.name,
    specializations: row.specializations,
    slotsOffered: t.slots_offered!,
    slotsBooked: t.slots_booked!,
    utilization: d.utilization,
    booked: d.booked,
    completed: t.completed!,
    noShows: t.no_show!,
    cancelled: t.cancelled_paid!,
    revenueMinor: t.captured_minor! - t.refunded_minor!,
    rating: { average: row.rating_avg, count: row.rating_count },
  };
}

const sortValue: Record<DoctorSort, (d: DoctorItem) => number | string> = {
  revenue: (d) => d.revenueMinor,
  booked: (d) => d.booked,
  completed: (d) => d.completed,
  utilization: (d) => d.utilization ?? -1,
  noShows: (d) => d.noShows,
  slotsOffered: (d) => d.slotsOffered,
  rating: (d) => d.rating.average,
  name: (d) => d.name,
};

/** Negative: a before b in the answer. Measures highest first, names A to Z; then by id. */
function compareKeys(a: { v: number | string; id: string }, b: { v: number | string; id: string }): number {
  const byValue =
    typeof a.v === 'string' && typeof b.v === 'string'
      ? a.v.localeCompare(b.v, 'en')
      : Number(b.v) - Number(a.v);
  if (byValue !== 0) return byValue;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const revenueOf = (currency: string, t: Totals) => ({
  currency,
  capturedMinor: t.captured_minor!,
  refundedMinor: t.refunded_minor!,
  netMinor: t.captured_minor! - t.refunded_minor!,
});

function add(into: Totals, t: Totals) {
  for (const k of Object.keys(t)) into[k] = (into[k] ?? 0) + t[k]!;
}

export function createAnalytics({ db, reads, clock }: { db: Db; reads: ReadRouter; clock: Clock }) {
  /** The range's days and instants; 400 for a reversed or too long range or a zone PostgreSQL lacks. */
  async function rangeOf(q: { from?: string | undefined; to?: string | undefined; tz: string }, r: Db) {
    const to = q.to ?? zonedDate(q.tz, clock.now());
    const from = q.from ?? addDays(to, -(DEFAULT_DAYS - 1));
    assertOrdered({ name: 'from', value: new Date(from) }, { name: 'to', value: new Date(to) }, true);
    if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_DAYS) {
      throw new AppError(400, 'RANGE_TOO_LARGE', `The range may span at most ${MAX_DAYS} days`, {
        errors: [{ path: 'querystring.to', message: `must be at most ${MAX_DAYS - 1} days after from` }],
      });
    }
    try {
      return { from, to, tz: q.tz, bounds: await repo.boundsOf(r, from, to, q.tz) };
    } catch (error) {
      if ((error as { code?: string }).code !== '22023') throw error;
      throw new AppError(400, 'VALIDATION_FAILED', 'The time zone is not known', {
        errors: [{ path: 'querystring.tz', message: 'must be an IANA time zone, e.g. Asia/Kolkata' }],
      });
    }
  }

  async function doctorTable(q: DoctorsQuery) {
    return reads.read(READ_KEYS, async (r) => {
      const range = await rangeOf(q, r);
      const rows = (await repo.doctorTotals(r, range.bounds, q.currency)).map((row) => ({
        row,
        item: doctorItem(row),
      }));
      const keyed = rows.map((x) => ({ ...x, v: sortValue[q.sort](x.item), id: x.item.doctorId }));
      keyed.sort(compareKeys);
      return { range, keyed, pending: await pendingChanges(r) };
    });
  }

  return {
    async overview(q: { from?: string | undefined; to?: string | undefined; tz: string }) {
      return reads.read(READ_KEYS, async (r) => {
        const range = await rangeOf(q, r);
        const [rows, signups, pending] = await Promise.all([
          repo.dayTotals(r, range.bounds, q.tz),
          repo.signupsPerDay(r, range.bounds, q.tz),
          pendingChanges(r),
        ]);
        const all = totalsOf(undefined);
        const perCurrency = new Map<string, Totals>();
        const perDay = new Map<string, { all: Totals; revenue: ReturnType<typeof revenueOf>[] }>();
        for (const { day, currency, totals } of rows) {
          add(all, totals);
          const c = perCurrency.get(currency) ?? totalsOf(undefined);
          add(c, totals);
          perCurrency.set(currency, c);
          const d = perDay.get(day) ?? { all: totalsOf(undefined), revenue: [] };
          add(d.all, totals);
          if (totals.captured_minor! > 0) d.revenue.push(revenueOf(currency, totals));
          perDay.set(day, d);
        }
        const days = [];
        for (let day = range.from; day <= range.to; day = addDays(day, 1)) {
          const d = perDay.get(day);
          const t = d?.all ?? totalsOf(undefined);
          days.push({
            date: day,
            appointments: byStatus(t),
            booked: derived(t).booked,
            newPatients: signups.get(day) ?? 0,
            revenue: d?.revenue ?? [],
          });
        }
        const { utilization: _, ...rates } = derived(all);
        return {
          from: range.from,
          to: range.to,
          tz: q.tz,
          appointments: byStatus(all),
          ...rates,
          revenue: [...perCurrency].filter(([, t]) => t.captured_minor! > 0).map(([c, t]) => revenueOf(c, t)),
          newPatients: [...signups.values()].reduce((a, b) => a + b, 0),
          days,
          pendingChanges: pending,
        };
      });
    },

    async doctors(q: DoctorsQuery & { limit: number }) {
      const after = decodeCursor(q.cursor, cursorShape);
      if (after && (after.s !== q.sort || typeof after.v !== (q.sort === 'name' ? 'string' : 'number'))) {
        throw new AppError(
          400,
          'INVALID_CURSOR',
          'The cursor is not valid for this sort; start again without it',
        );
      }
      const { range, keyed, pending } = await doctorTable(q);
      const start = after ? keyed.findIndex((x) => compareKeys(x, after) > 0) : keyed.length > 0 ? 0 : -1;
      const page = start < 0 ? [] : keyed.slice(start, start + q.limit);
      const last = page.at(-1);
      const more = start >= 0 && start + q.limit < keyed.length;
      const top = new Map<
        string,
        { doctors: number; booked: number; completed: number; revenueMinor: number }
      >();
      for (const { item } of keyed) {
        for (const s of item.specializations) {
          const e = top.get(s) ?? { doctors: 0, booked: 0, completed: 0, revenueMinor: 0 };
          e.doctors += 1;
          e.booked += item.booked;
          e.completed += item.completed;
          e.revenueMinor += item.revenueMinor;
          top.set(s, e);
        }
      }
      return {
        from: range.from,
        to: range.to,
        tz: q.tz,
        currency: q.currency,
        sort: q.sort,
        items: page.map((x) => x.item),
        nextCursor: more && last ? encodeCursor({ s: q.sort, v: last.v, id: last.id }) : null,
        topSpecializations: [...top]
          .map(([specialization, e]) => ({ specialization, ...e }))
          .sort((a, b) => b.booked - a.booked || a.specialization.localeCompare(b.specialization))
          .slice(0, 10),
        pendingChanges: pending,
      };
    },

    /** The whole doctor table, sorted, as CSV lines (the header first). */
    async exportCsv(q: DoctorsQuery): Promise<{ filename: string; lines: Iterable<string> }> {
      const { range, keyed } = await doctorTable(q);
      return {
        filename: `amrutam-doctors-${range.from}-to-${range.to}.csv`,
        lines: csvLines(
          keyed.map((x) => x.item),
          q.currency,
        ),
      };
    },

    /** The refresher's turn (a periodic job): dirty rows handled, or null when another holds it. */
    refresh: () => refreshRollups(db),
    rebuild: () => rebuildRollups(db),
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;

const CSV_HEADER = [
  'doctor_id',
  'name',
  'specializations',
  'slots_offered',
  'slots_booked',
  'utilization',
  'booked',
  'completed',
  'no_shows',
  'cancelled',
  'revenue_minor',
  'currency',
  'rating_average',
  'rating_count',
];

/** A text cell: quoted when it must be; a leading = + - @ made inert for spreadsheets. */
function cell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function* csvLines(items: DoctorItem[], currency: string): Generator<string> {
  yield `${CSV_HEADER.join(',')}\r\n`;
  for (const d of items) {
    yield `${[
      d.doctorId,
      cell(d.name),
      cell(d.specializations.join(';')),
      d.slotsOffered,
      d.slotsBooked,
      d.utilization ?? '',
      d.booked,
      d.completed,
      d.noShows,
      d.cancelled,
      d.revenueMinor,
      currency,
      d.rating.average,
      d.rating.count,
    ].join(',')}\r\n`;
  }
}
