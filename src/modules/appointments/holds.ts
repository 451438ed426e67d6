import { type RawBuilder, sql } from 'kysely';
import { Gauge } from 'prom-client';
import { SYSTEM } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { withTimeout } from '../../platform/timeout.ts';
import type { AuditService } from '../audit/service.ts';
import * as slots from '../availability/slot-store.ts';
import type { Outbox } from '../outbox/service.ts';

/**
 * Holds: an unpaid appointment keeps its slot held until hold_expires_at; from that instant the
 * hold has lapsed (hold_lapsed(), migration 0004) and the slot is bookable again. A lapsed hold is
 * expired by whichever path meets it first — the expiry job, a booking or reschedule claiming its
 * slot, a payment captured too late — and every one of them does it with `expireSql`: the
 * appointment becomes expired, one audit row and one `appointment.expired` event are written,
 * the metric counts it, and the slot opens again unless the caller is taking it over.
 */

const EXPIRY_BATCH = 100;
const COUNT_TIMEOUT_MS = 1_000;

export function createHolds(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  outbox: Outbox;
  metrics: Metrics;
}) {
  const { db, clock, audit, outbox } = deps;
  // Lapsed holds that stay unexpired mean the expiry job is behind or not running. Counted from
  // the holds' partial index at each scrape; a count that times out leaves the gauge as it was.
  new Gauge({
    name: 'holds_unpaid',
    help: 'Unpaid holds by state: active (within the hold time), lapsed (time is up, not expired yet)',
    labelNames: ['state'] as const,
    registers: [deps.metrics.registry],
    async collect() {
      const now = clock.now();
      const count = sql<{ active: number; lapsed: number }>`
        SELECT count(*) FILTER (WHERE hold_expires_at > ${now})::int AS active,
               count(*) FILTER (WHERE hold_expires_at <= ${now})::int AS lapsed
        FROM patient_commitments WHERE status = 'pending_payment'`.execute(db);
      const row = (await withTimeout(count, COUNT_TIMEOUT_MS, 'holds').catch(() => undefined))?.rows[0];
      if (!row) return;
      this.set({ state: 'active' }, row.active);
      this.set({ state: 'lapsed' }, row.lapsed);
    },
  });

  /**
   * CTEs `lapsed` (the expired appointments: id, slot_id, doctor_id), `lapsed_audit`,
   * `lapsed_events` and, with `reopen`, `reopened` (the slots opened again): expires the holds
   * among the appointments `holds` names (an SQL query of rows id, starts_at) that have lapsed at
   * `now`. appointments_expire_holds() (migration 0011) does the UPDATE, planned with the starts
   * in hand so it touches only their partitions; it is not called when there is no hold.
   */
  function expireSql(holds: RawBuilder<unknown>, now: Date, reopen: boolean): RawBuilder<unknown> {
    const from = sql`lapsed AS a`;
    const parts = [
      sql`lapsed AS (
        SELECT e.* FROM (SELECT array_agg(h.id) AS ids, array_agg(h.starts_at) AS starts FROM (${holds}) AS h) AS due
        CROSS JOIN LATERAL appointments_expire_holds(due.ids, due.starts, ${now}::timestamptz) AS e
        WHERE due.ids IS NOT NULL)`,
      sql`lapsed_audit AS (${audit.recordSql(
        SYSTEM,
        {
          action: 'appointment.expired',
          entity: 'appointment',
          entityId: sql`a.id::text`,
          details: sql`'{"reason":"hold lapsed"}'::jsonb`,
        },
        from,
      )})`,
      sql`lapsed_events AS (${outbox.addSql(
        sql`'appointment.expired'`,
        sql`jsonb_build_object('appointmentId', a.id)`,
        from,
      )})`,
    ];
    if (reopen) parts.push(sql`reopened AS (${slots.reopenSql(from, now)})`);
    return sql.join(parts, sql`,\n`);
  }

  const counted = (n: number) => {
    if (n > 0) deps.metrics.holdsExpired.inc(n);
  };

  /** Expires the lapsed holds among these appointments (locked by the caller), reopening their slots. */
  async function expire(
    tx: Db,
    holds: Array<{ id: string; starts_at: Date }>,
    now: Date,
  ): Promise<SlotRow[]> {
    const ids = holds.map((h) => h.id);
    const starts = holds.map((h) => h.starts_at);
    const { rows } = await sql<{ expired: number; reopened: SlotRow[] | null }>`
      WITH ${expireSql(sql`SELECT * FROM unnest(${ids}::uuid[], ${starts}::timestamptz[]) AS h(id, starts_at)`, now, true)}
      SELECT (SELECT count(*)::int FROM lapsed) AS expired, (SELECT json_agg(r) FROM reopened r) AS reopened`.execute(
      tx,
    );
    counted(rows[0]!.expired);
    return (rows[0]!.reopened ?? []).map((s) => ({
      ...s,
      starts_at: new Date(s.starts_at),
      ends_at: new Date(s.ends_at),
      created_at: new Date(s.created_at),
      updated_at: new Date(s.updated_at),
    }));
  }

  return {
    expireSql,
    counted,
    expire,

    /**
     * The job: every due hold expired, in SKIP LOCKED batches (several workers may run it at once).
     * Due holds are found among the active appointments (patient_commitments, which carries their
     * hold), each with its slot locked: every change to a held appointment locks its slot first.
     */
    async expireDue(): Promise<{ expired: number; reopened: SlotRow[] }> {
      const reopened: SlotRow[] = [];
      let expired = 0;
      for (;;) {
        const now = clock.now();
        const batch = await db.transaction().execute(async (tx) => {
          const due = await sql<{ id: string; starts_at: Date }>`
            SELECT c.appointment_id AS id, lower(c.during) AS starts_at
            FROM patient_commitments AS c JOIN slots AS s ON s.id = c.slot_id
            WHERE hold_lapsed(c.status, c.hold_expires_at, ${now}::timestamptz)
            ORDER BY c.hold_expires_at LIMIT ${EXPIRY_BATCH}
            FOR UPDATE OF c, s SKIP LOCKED`.execute(tx);
          return {
            found: due.rows.length,
            reopened: due.rows.length > 0 ? await expire(tx, due.rows, now) : [],
          };
        });
        expired += batch.found;
        reopened.push(...batch.reopened);
        if (batch.found < EXPIRY_BATCH) return { expired, reopened };
      }
    },
  };
}

export type Holds = ReturnType<typeof createHolds>;
