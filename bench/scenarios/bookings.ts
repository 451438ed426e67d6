/**
 * The booking scenarios, each on fresh (patient, slot) pairs from the supply:
 *   book-distinct   autocannon POSTs, every request a new patient and a new slot; running out of
 *                   pairs stops the run and is a harness error (a pair is never reused)
 *   book-contended  rounds of N simultaneous bookings of one slot: exactly one may win (two winners
 *                   is an invariant violation), the rest must be 409 SLOT_UNAVAILABLE
 * Both check afterwards that no slot has two active appointments.
 */
import { TARGETS } from '../config.ts';
import { ACTIVE_APPOINTMENT } from '../database.ts';
import {
  type AutocannonJob,
  type AutocannonResult,
  type ContendedJob,
  type ContendedResult,
  n0,
} from '../lib.ts';
import { statusText, unexpected } from '../outcome.ts';
import type { ScenarioRun } from './context.ts';

export const bookDistinct: ScenarioRun = async ({ env, size, embedded, supply, outcome }, record) => {
  const { name } = record;
  const pairs = supply.pairs(
    embedded ? Math.min(size.distinctPairs, supply.patientCount) : size.distinctPairs,
    name,
  );
  const r = await env.drive<AutocannonResult>(name, {
    kind: 'autocannon',
    name,
    baseUrl: env.baseUrl,
    connections: size.bookConnections,
    seconds: size.bookSeconds,
    warmupSeconds: size.warmupSeconds,
    book: { pairs, dataDir: env.dataDir },
  } satisfies AutocannonJob);
  Object.assign(record, { detail: r, rps: r.rps, latency: r.latency });
  record.notes.push(
    `${size.bookConnections} conns, a new patient and slot per request`,
    statusText(r.statuses),
  );
  for (const s of r.samples ?? []) record.notes.push(`${s.status}: ${s.body.slice(0, 160)}`);
  unexpected(record, r.statuses, ['201'], r.errors);
  if (r.exhausted) {
    record.error = `ran out of (patient, slot) pairs after ${n0(r.pairsUsed ?? 0)}: raise distinctPairs in bench/config.ts`;
  }
  await outcome.checkDoubleBooking(env.db, name);
};

export const bookContended: ScenarioRun = async ({ env, size, supply, outcome }, record) => {
  const { name } = record;
  // Consecutive slots of the round-robin list: each round on another doctor's slot.
  const rounds = Array.from({ length: size.contendedRounds }, () => ({
    slotId: supply.slot(),
    patientIds: supply.patients(size.contendedSize, name),
  }));
  const r = await env.drive<ContendedResult>(name, {
    kind: 'contended',
    baseUrl: env.baseUrl,
    dataDir: env.dataDir,
    rounds,
  } satisfies ContendedJob);
  const worst = Math.max(...r.rounds.map((x) => x.ms));
  Object.assign(record, { detail: r, latency: r.latency });
  record.notes.push(
    `${r.rounds.length} rounds × ${n0(size.contendedSize)} requests on one slot over open connections; ` +
      `settled in ${r.rounds.map((x) => Math.round(x.ms)).join(', ')} ms`,
  );
  for (const [i, x] of r.rounds.entries()) {
    const winners = x.statuses['201'] ?? 0;
    const losers = x.conflictCodes.SLOT_UNAVAILABLE ?? 0;
    if (winners > 1)
      outcome.invariantViolations.push(`book-contended round ${i + 1}: ${winners} winners for one slot`);
    if (winners !== 1 || losers !== size.contendedSize - 1 || x.errors > 0) {
      record.problems.push(
        `round ${i + 1}: ${statusText(x.statuses)}; 409 codes ${statusText(x.conflictCodes)}; ${x.errors} errors`,
      );
    }
    if (x.ms >= TARGETS.contendedRoundMs) record.problems.push(`round ${i + 1} took ${Math.round(x.ms)} ms`);
    if (x.newConnections > 0)
      record.notes.push(`round ${i + 1}: ${x.newConnections} requests opened a connection`);
  }
  record.notes.push(`slowest round ${Math.round(worst)} ms`);
  if (env.db) {
    for (const [i, round] of rounds.entries()) {
      const [row] = await env.db.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM appointments WHERE slot_id = $1 AND ${ACTIVE_APPOINTMENT}`,
        [round.slotId],
      );
      if (row!.n > 1)
        outcome.invariantViolations.push(`book-contended round ${i + 1}: ${row!.n} active appointments`);
      if (row!.n === 0) record.problems.push(`round ${i + 1}: no appointment in the database`);
    }
  }
  await outcome.checkDoubleBooking(env.db, name);
};
