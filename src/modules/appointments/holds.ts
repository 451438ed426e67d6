import { type RawBuilder, sql } from 'kysely';
import { SYSTEM } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
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

export function createHolds(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  outbox: Outbox;
  metrics: Metrics;
}) {
  const { db, clock, audit, outbox } = deps;

  /**
   * CTEs `lapsed` (the expired appointments: id, slot_id, doctor_id), `lapsed_audit`,
   * `lapsed_events` and, with `reopen`, `reopened` (the slots opened again): expires the holds
   * among the appointments `ids` (an SQL uuid[]) that have lapsed at `now`.
   */
  function expireSql(ids: RawBuilder<unknown>, now: Date, reopen: boolean): RawBuilder<unknown> {
    const from = sql`lapsed AS a`;
    const parts = [
      sql`lapsed AS (
        UPDATE appointments SET status = 'expired', updated_at = ${now}::timestamptz
        WHERE id = ANY(${ids}) AND hold_lapsed(status, hold_expires_at, ${now}::timestamptz)
        RETURNING id, slot_id, doctor_id)`,
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
  async function expire(tx: Db, ids: string[], now: Date): Promise<SlotRow[]> {
    const { rows } = await sql<{ expired: number; reopened: SlotRow[] | null }>`
      WITH ${expireSql(sql`${ids}::uuid[]`, now, true)}
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

    /** The job: every due hold expired, in SKIP LOCKED batches (several workers may run it at once). */
    async expireDue(): Promise<{ expired: number; reopened: SlotRow[] }> {
      const reopened: SlotRow[] = [];
      let expired = 0;
      for (;;) {
        const now = clock.now();
        const batch = await db.transaction().execute(async (tx) => {
          const due = await sql<{ id: string }>`
            SELECT a.id FROM appointments AS a JOIN slots AS s ON s.id = a.slot_id
            WHERE hold_lapsed(a.status, a.hold_expires_at, ${now}::timestamptz)
            ORDER BY a.hold_expires_at LIMIT ${EXPIRY_BATCH}
            FOR UPDATE OF a, s SKIP LOCKED`.execute(tx);
          return {
            found: due.rows.length,
            reopened:
              due.rows.length > 0
                ? await expire(
                    tx,
                    due.rows.map((r) => r.id),
                    now,
                  )
                : [],
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
