import { type RawBuilder, sql } from 'kysely';
import { Gauge } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { Metrics } from '../metrics.ts';
import { withTimeout } from '../timeout.ts';
import { type Db, sqlState } from './index.ts';

/**
 * Monthly partitions of `appointments` (by starts_at) and `audit_logs` (by occurred_at), made by
 * migration 0011 and kept here (the job in jobs.ts, `npm run cli -- partitions`, and start-up).
 *
 * Invariants:
 * - The current month and MONTHS_AHEAD more have their partitions; each is made by the database's
 *   partition_add_month(), which moves in the rows the DEFAULT partition caught for that month.
 * - Retention detaches, never drops: a month that ended more than the retention ago moves, rows and
 *   all, to schema `archive`. One still in use stays (an active appointment; an unsealed audit row
 *   or the chain's newest seals, so the chain's head is always in audit_logs and new seqs follow
 *   every archived one). An archived audit month keeps its append-only guard and stays in the chain
 *   that verification walks (archivedPartitions).
 * - Each change is a transaction that waits at most LOCK_WAIT for its locks (DDL on a partitioned
 *   table locks it whole): a busy table is left for the next run rather than stalling requests.
 */

export const MONTHS_AHEAD = 3;
const LOCK_WAIT = sql.raw(`'2s'`);
const LOCK_BUSY = ['55P03', '40P01']; // lock_not_available (lock_timeout), deadlock_detected
const COUNT_TIMEOUT_MS = 1_000;

/**
 * The partitioned tables. `keep(month)`: whether a month, just detached, must stay after all (SQL,
 * and why): a live appointment stays bookable and changeable; an audit month stays while it has
 * unsealed rows or the chain's newest seals (the sealer extends the chain from audit_logs alone).
 */
const TABLES = {
  appointments: {
    keep: (month: RawBuilder<unknown>) =>
      sql`EXISTS (SELECT FROM ${month} WHERE status IN ('pending_payment', 'confirmed', 'in_progress'))`,
    why: 'active appointments',
  },
  audit_logs: {
    keep: (month: RawBuilder<unknown>) => sql`EXISTS (SELECT FROM ${month} WHERE seq IS NULL)
      OR (SELECT coalesce(max(seq), 0) FROM ${month}) > (SELECT coalesce(max(seq), 0) FROM audit_logs)`,
    why: 'unsealed rows or the chain’s newest seals',
  },
} satisfies Record<string, { keep: (month: RawBuilder<unknown>) => RawBuilder<unknown>; why: string }>;
export type PartitionedTable = keyof typeof TABLES;
const NAMES = Object.keys(TABLES) as PartitionedTable[];

export interface PartitionReport {
  table: PartitionedTable;
  /** The attached month partitions, as YYYY-MM. */
  months: string[];
  created: string[];
  detached: string[];
  /** Past the retention but still in use (TABLES' keep), so not detached. */
  kept: string[];
  defaultRows: number;
  /** Why this run left the table as it was (its locks were busy), or null. */
  busy: string | null;
}

const monthOf = (name: string) => /_y(\d{4})m(\d{2})$/.exec(name)?.slice(1, 3).join('-');
const utcMonth = (d: Date, plus = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));

/** One short transaction with a bounded wait for locks. */
function briefly<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SET LOCAL lock_timeout = ${LOCK_WAIT}`.execute(tx);
    return work(tx);
  });
}

/** Makes `table`'s month partitions from now's month to MONTHS_AHEAD ahead; the months made. */
async function ensureMonths(db: Db, now: Date, table: PartitionedTable): Promise<string[]> {
  const last = utcMonth(now, MONTHS_AHEAD);
  const { rows } = await briefly(db, (tx) =>
    sql<{ month: string }>`
      SELECT to_char(m, 'YYYY-MM') AS month FROM partition_cover(${table}::regclass, ${now}, ${last}) AS m`.execute(
      tx,
    ),
  );
  return rows.map((r) => r.month);
}

/** The same for every partitioned table (start-up does it with the migrations); the months made. */
export async function ensurePartitions(db: Db, now: Date): Promise<Record<PartitionedTable, string[]>> {
  const made = {} as Record<PartitionedTable, string[]>;
  for (const table of NAMES) made[table] = await ensureMonths(db, now, table);
  return made;
}

/** The month partitions attached to `table`, oldest first. */
async function attached(db: Db, table: PartitionedTable): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhparent = ${table}::regclass AND c.relname ~ '_y[0-9]{4}m[0-9]{2}$'
    ORDER BY c.relname`.execute(db);
  return rows.map((r) => r.name);
}

/** The detached months of `table` kept in schema `archive`, as tables to read. */
export async function archivedPartitions(db: Db, table: PartitionedTable): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'archive' AND c.relkind = 'r' AND c.relname ~ ${`^${table}_y[0-9]{4}m[0-9]{2}$`}
    ORDER BY c.relname`.execute(db);
  return rows.map((r) => `archive.${r.name}`);
}

async function defaultRows(db: Db, table: PartitionedTable): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM ${sql.table(`${table}_default`)}`.execute(db);
  return rows[0]!.n;
}

/** Moves one month to schema `archive`; false (and nothing changed) when it must stay (TABLES' keep). */
async function archive(db: Db, table: PartitionedTable, partition: string): Promise<boolean> {
  class Kept extends Error {}
  try {
    await briefly(db, async (tx) => {
      await sql`ALTER TABLE ${sql.table(table)} DETACH PARTITION ${sql.table(partition)}`.execute(tx);
      const { rows } = await sql<{ keep: boolean }>`
        SELECT (${TABLES[table].keep(sql.table(partition))}) AS keep`.execute(tx);
      if (rows[0]!.keep) throw new Kept();
      await sql`ALTER TABLE ${sql.table(partition)} SET SCHEMA archive`.execute(tx);
      // Detached, it lost the row triggers it had from the table; an audit month stays append-only.
      if (table === 'audit_logs') {
        await sql`CREATE TRIGGER audit_logs_append_only BEFORE INSERT OR UPDATE OR DELETE
          ON ${sql.table(`archive.${partition}`)} FOR EACH ROW EXECUTE FUNCTION audit_logs_guard()`.execute(
          tx,
        );
      }
    });
    return true;
  } catch (error) {
    if (error instanceof Kept) return false;
    throw error;
  }
}

export function createPartitionMaintenance(deps: {
  db: Db;
  clock: Clock;
  metrics: Metrics;
  /** MEDICAL_RECORDS_RETENTION_YEARS: months that ended longer ago are detached. */
  retentionYears: number;
}) {
  const { db, clock } = deps;
  new Gauge({
    name: 'partition_default_rows',
    help: 'Rows in a partitioned table’s DEFAULT partition (no month partition took them); alert on > 0',
    labelNames: ['table'] as const,
    registers: [deps.metrics.registry],
    async collect() {
      for (const table of NAMES) {
        const n = await withTimeout(defaultRows(db, table), COUNT_TIMEOUT_MS, table).catch(() => undefined);
        if (n !== undefined) this.set({ table }, n);
      }
    },
  });

  async function maintain(table: PartitionedTable, now: Date): Promise<PartitionReport> {
    const report: PartitionReport = {
      table,
      months: [],
      created: [],
      detached: [],
      kept: [],
      defaultRows: 0,
      busy: null,
    };
    try {
      report.created = await ensureMonths(db, now, table);
      const cutoff = new Date(now);
      cutoff.setUTCFullYear(cutoff.getUTCFullYear() - deps.retentionYears);
      for (const partition of await attached(db, table)) {
        const month = monthOf(partition)!;
        const ends = utcMonth(new Date(`${month}-01T00:00:00Z`), 1);
        if (ends > cutoff) break;
        if (await archive(db, table, partition)) report.detached.push(month);
        else report.kept.push(month);
      }
    } catch (error) {
      const code = sqlState(error);
      if (!code || !LOCK_BUSY.includes(code)) throw error;
      report.busy = `its locks were busy (${(error as Error).message}); the next run tries again`;
    }
    report.months = (await attached(db, table)).map((p) => monthOf(p)!);
    report.defaultRows = await defaultRows(db, table);
    return report;
  }

  return {
    /** Partitions ahead, then retention, for every partitioned table. */
    async run(): Promise<PartitionReport[]> {
      const now = clock.now();
      const reports: PartitionReport[] = [];
      for (const table of NAMES) reports.push(await maintain(table, now));
      return reports;
    },
  };
}

/** One line per table, for people (the CLI, the job's log). */
export function describePartitions(r: PartitionReport): string {
  const list = (months: string[]) => (months.length > 0 ? months.join(', ') : 'none');
  const span = r.months.length > 0 ? `${r.months[0]}..${r.months.at(-1)}` : 'none';
  return [
    `${r.table}: ${r.months.length} monthly partitions (${span})`,
    `created ${list(r.created)}`,
    `detached ${list(r.detached)}${r.detached.length > 0 ? ' (schema archive)' : ''}`,
    ...(r.kept.length > 0 ? [`kept ${list(r.kept)} (${TABLES[r.table].why})`] : []),
    `${r.defaultRows} row(s) in ${r.table}_default`,
    ...(r.busy ? [`skipped: ${r.busy}`] : []),
  ].join('; ');
}
