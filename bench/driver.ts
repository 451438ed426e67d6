/**
 * The load driver: a child process of bench/run.ts, so the load it generates never shares an event
 * loop with the server it measures. `node bench/driver.ts <job.json>` runs one job and writes its
 * result as JSON to job.resultFile.
 *   autocannon  fixed connections and duration after an uncounted warm-up: GET paths round-robin,
 *               or bookings with a fresh (patient, slot) pair and Idempotency-Key per request
 *   contended   rounds of N simultaneous bookings of one slot over N connections opened beforehand
 *   day         a compressed day: workers that read slots, book, pay and cancel
 *   soak        patients' visits (read, book, pay or cancel) for minutes, as fast as they go or at a rate
 */
import { readFile, writeFile } from 'node:fs/promises';
import { runAutocannon } from './driver/autocannon.ts';
import { runContended } from './driver/contended.ts';
import { runDay } from './driver/day.ts';
import { runSoak } from './driver/soak.ts';
import type { DriverJob } from './lib.ts';

async function main() {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/driver.ts <job.json>');
  const job = JSON.parse(await readFile(file, 'utf8')) as DriverJob;
  const result =
    job.kind === 'autocannon'
      ? await runAutocannon(job)
      : job.kind === 'contended'
        ? await runContended(job)
        : job.kind === 'soak'
          ? await runSoak(job)
          : await runDay(job);
  await writeFile(job.resultFile, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
