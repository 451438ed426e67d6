import { parseArgs } from 'node:util';
import { ProgressBar } from '../cli/progress.ts';
import { UsageError } from '../cli/usage.ts';
import type { Platform } from '../platform/platform.ts';
import { createResealer, type SealedColumn } from '../platform/sealed-columns.ts';

/**
 * `npm run cli -- phi-rotate`: every sealed value (clinical notes, prescriptions and their PDFs,
 * appointment reasons, TOTP secrets) re-sealed with the first key of PHI_ENCRYPTION_KEYS, a batch
 * of rows per transaction. Values already on that key are skipped, so an interrupted run is resumed
 * by running it again. Progress on stderr, the summary on stdout; exit 1 if anything is left.
 */

export const PHI_ROTATE_USAGE = `Usage: npm run cli -- phi-rotate [--batch N]
  Re-seals every encrypted value (clinical notes, prescriptions and their PDFs, appointment reasons,
  TOTP secrets) with the first key of PHI_ENCRYPTION_KEYS; every listed key must still be there to
  open the old values. N rows per transaction (default 500). Values already on the first key are
  skipped: run it again to resume. Rotating: put the new key first, restart every process, run this,
  then (24 h later: stored idempotent answers keep envelopes that long) remove the old key.
  Progress on stderr (a bar on a terminal, a line per column elsewhere), the summary on stdout.
  Exit 1 when values written meanwhile with another key are left: run it again.`;

/** Its options (the CLI checks them before it opens the database). */
export const PHI_ROTATE_OPTIONS = { batch: { type: 'string' } } as const;

const DEFAULT_BATCH = 500;

export async function phiRotateCommand(
  platform: Platform,
  columns: readonly SealedColumn[],
  args: string[],
): Promise<number> {
  const { values } = parseArgs({ args, options: PHI_ROTATE_OPTIONS });
  const batch = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) {
    throw new UsageError('--batch must be a whole number from 1 to 100000');
  }
  const resealer = createResealer(platform.db, platform.cipher);
  const before = await Promise.all(columns.map((c) => resealer.census(c)));
  const bar = new ProgressBar(
    before.reduce((sum, b) => sum + b.stale, 0),
    'phi-rotate',
  );
  const resealed: number[] = [];
  for (const c of columns) {
    bar.phase(`${c.table}.${c.column}`);
    let after = null;
    let count = 0;
    for (;;) {
      const step = await resealer.batch(c, after, batch);
      if (step.resealed === 0) break;
      count += step.resealed;
      bar.add(step.resealed);
      after = step.last;
    }
    resealed.push(count);
    bar.endPhase();
  }
  bar.finish();
  const left = (await Promise.all(columns.map((c) => resealer.census(c)))).reduce(
    (sum, a) => sum + a.stale,
    0,
  );
  const key = platform.cipher.activeKeyId;
  console.log(
    [
      `phi-rotate: key "${key}"`,
      ...columns.map(
        (c, i) =>
          `  ${`${c.table}.${c.column}`.padEnd(28)} ${String(resealed[i]).padStart(8)} re-sealed, ${String(before[i]!.values - before[i]!.stale).padStart(8)} already on it`,
      ),
      left === 0
        ? `  done: every value is sealed with "${key}"`
        : `  ${left} value(s) written meanwhile with another key (is a process still encrypting with an older first key?): run again`,
    ].join('\n'),
  );
  return left === 0 ? 0 : 1;
}
