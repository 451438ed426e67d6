/**
 * What a run finds: one ScenarioRecord per scenario run (numbers, notes, problems of the product),
 * harness errors (a scenario could not be measured), invariant violations (a slot with two active
 * appointments, two winners of one contended slot) and the server's RSS after every step. Either of
 * the first two kinds makes the exit code 1; failed targets never do (a run is a measurement).
 */
import type { Scenario } from './config.ts';
import { ACTIVE_APPOINTMENT, type Query } from './database.ts';
import { type Latency, n0, type StatusCounts } from './lib.ts';

export interface ScenarioRecord {
  name: Scenario;
  startedAt: string;
  seconds: number;
  /** Raw numbers from the driver / pgbench. */
  detail?: unknown;
  rps?: number;
  latency?: Partial<Latency>;
  notes: string[];
  /** Problems of the product that fail the target (unexpected statuses…). */
  problems: string[];
  /** The harness could not measure it (crash, ran out of pairs…). */
  error?: string;
  rssMbAfter?: number | null;
  /** The server's counters after the scenario (cumulative): slot cache sources and drops, booking outcomes. */
  counters?: Record<string, number> | undefined;
  settle?: { seconds: number; backlog: Record<string, number> | null };
}

const DOUBLE_BOOKED_SQL = `
  SELECT slot_id, count(*)::int AS n FROM appointments
  WHERE ${ACTIVE_APPOINTMENT}
  GROUP BY slot_id HAVING count(*) > 1 LIMIT 10`;

export class Outcome {
  readonly records = new Map<Scenario, ScenarioRecord>();
  readonly harnessErrors: string[] = [];
  readonly invariantViolations: string[] = [];
  readonly rssLog: Array<{ after: string; mb: number | null }> = [];
  /** How many times the invariant was checked (none: nothing was booked). */
  invariantChecks = 0;

  /** No slot may have two active appointments; checked after every scenario that books. */
  async checkDoubleBooking(db: Query | undefined, after: string): Promise<void> {
    if (!db) return;
    this.invariantChecks++;
    const rows = await db.rows<{ slot_id: string; n: number }>(DOUBLE_BOOKED_SQL);
    if (rows.length > 0) {
      this.invariantViolations.push(
        `after ${after}: slots with more than one active appointment: ${rows.map((r) => `${r.slot_id}×${r.n}`).join(', ')}`,
      );
    }
  }
}

/** Status counts as notes print them: `200×1,234 409×5`, codes in order. */
export const statusText = (s: StatusCounts) =>
  Object.entries(s)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}×${n0(n)}`)
    .join(' ') || 'none';

/** Records as problems any status not in `ok` and any socket error (`what` names the request kind). */
export function unexpected(
  record: ScenarioRecord,
  statuses: StatusCounts,
  ok: string[],
  errors: number,
  what = '',
) {
  const bad = Object.entries(statuses).filter(([code]) => !ok.includes(code));
  if (bad.length > 0) {
    record.problems.push(
      `${what ? `${what}: ` : ''}unexpected ${bad.map(([c, n]) => `${c}×${n0(n)}`).join(' ')}`,
    );
  }
  if (errors > 0) record.problems.push(`${what ? `${what}: ` : ''}${errors} socket errors/timeouts`);
}
