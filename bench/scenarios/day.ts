/**
 * A compressed day and what it leaves behind:
 *   day     bookings of fresh pairs, each after 10 slot reads over all doctors (random 3-day
 *           windows); every 20th booking then paid, another 5 % cancelled; stops at the size's cap
 *           and reports partial progress as a failure
 *   memory  the API server's RSS at that point (at the end of day, when day ran)
 */
import { TARGETS } from '../config.ts';
import { type DayJob, type DayResult, n0 } from '../lib.ts';
import { statusText, unexpected } from '../outcome.ts';
import { rssMb } from '../processes.ts';
import type { ScenarioRun } from './context.ts';

export const day: ScenarioRun = async ({ env, size, doctors, supply, outcome }, record) => {
  const { name } = record;
  const pairs = supply.pairs(size.dayBookings, name);
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
  const windowStarts = Array.from({ length: Math.max(1, size.days - 3) }, (_, k) =>
    new Date(today + k * 86_400_000).toISOString(),
  );
  const r = await env.drive<DayResult>(name, {
    kind: 'day',
    baseUrl: env.baseUrl,
    dataDir: env.dataDir,
    workers: size.dayWorkers,
    capSeconds: size.dayCapSeconds,
    readsPerBooking: 10,
    pairs,
    doctorIds: doctors.map((d) => d.id),
    windowStarts,
    windowDays: 3,
    payEvery: 20,
    cancelEvery: 20,
    cancelOffset: 10,
  } satisfies DayJob);
  const requests = r.all.count;
  Object.assign(record, { detail: r, rps: requests / r.seconds, latency: r.all.latency });
  record.notes.push(
    `${n0(r.completedBookings)}/${n0(r.plannedBookings)} bookings in ${r.seconds.toFixed(1)} s ` +
      `(${n0(r.completedBookings / r.seconds)}/s; p99 ${r.bookings.latency.p99} ms), ` +
      `${n0(r.reads.count)} reads (${n0(r.reads.count / r.seconds)}/s; p99 ${r.reads.latency.p99} ms), ` +
      `${size.dayWorkers} workers`,
    `bookings ${statusText(r.bookings.statuses)}; reads ${statusText(r.reads.statuses)}; ` +
      `pays ${statusText(r.pays.statuses)}; cancels ${statusText(r.cancels.statuses)}`,
  );
  const conflicts = [r.reads, r.bookings, r.pays, r.cancels].reduce(
    (n, k) => n + (k.statuses['409'] ?? 0),
    0,
  );
  record.notes.push(`409s: ${conflicts}`);
  for (const s of r.samples.slice(0, 3)) record.notes.push(`${s.kind} ${s.status}: ${s.body.slice(0, 160)}`);
  unexpected(record, r.reads.statuses, ['200'], 0, 'reads');
  unexpected(record, r.bookings.statuses, ['201'], 0, 'bookings');
  unexpected(record, r.pays.statuses, ['200'], 0, 'pays');
  unexpected(record, r.cancels.statuses, ['200'], 0, 'cancels');
  if (r.errors) record.problems.push(`${r.errors} request errors`);
  if (r.partial) record.problems.push(`stopped at the ${size.dayCapSeconds} s cap (partial)`);
  await outcome.checkDoubleBooking(env.db, name);
};

export const memory: ScenarioRun = async ({ env, has }, record) => {
  const mb = await rssMb(env.server?.pid);
  record.detail = { rssMb: mb, after: has('day') ? 'day' : 'setup' };
  record.notes.push(`API server VmRSS ${mb ?? '?'} MB ${has('day') ? 'at the end of day' : '(day not run)'}`);
  if (mb !== null && mb >= TARGETS.memoryMb) record.problems.push(`RSS ${mb} MB`);
};
