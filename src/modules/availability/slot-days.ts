import type { BookableSlot } from './repo.ts';

/**
 * One doctor's bookable slots of one UTC day, kept the way a read answers with them: their JSON,
 * already encoded and joined with commas, in one buffer outside the JavaScript heap (hundreds of
 * thousands of slots cost the garbage collector nothing, and nothing is encoded per read), and per
 * slot four numbers: its start, the interval it is bookable in, and where its JSON ends.
 */
export interface Day {
  bytes: Buffer;
  /** [start, bookable from, bookable until, end offset in `bytes`] per slot, in start order. */
  meta: Float64Array;
  count: number;
}

const COMMA = Buffer.from(',');

export const DAY_MS = 86_400_000;

/** A UTC day as its number since the epoch: the key of a cached day. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

export function toDay(slots: BookableSlot[]): Day {
  const json = slots.map((s) => s.json).join(',');
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
  bytes.write(json);
  const meta = new Float64Array(slots.length * 4);
  let end = -1;
  slots.forEach((s, i) => {
    end += Buffer.byteLength(s.json) + 1;
    meta.set([s.starts, s.from, s.until, end], i * 4);
  });
  return { bytes, meta, count: slots.length };
}

/**
 * Appends to `parts` the JSON of the day's slots that start in [fromMs, toMs) and are bookable at
 * `now`, comma-separated after what `parts` already holds (`first`: nothing yet); whole runs of
 * slots go as one slice of the buffer. Returns whether `parts` is still empty of slots.
 */
export function appendDay(
  parts: Buffer[],
  day: Day,
  fromMs: number,
  toMs: number,
  now: number,
  first: boolean,
) {
  let runStart = -1;
  let runEnd = -1;
  const flush = () => {
    if (runStart < 0) return;
    if (!first) parts.push(COMMA);
    parts.push(day.bytes.subarray(runStart, runEnd));
    first = false;
    runStart = -1;
  };
  for (let i = 0; i < day.count; i++) {
    const m = i * 4;
    const start = day.meta[m]!;
    const included = start >= fromMs && start < toMs && day.meta[m + 1]! <= now && now < day.meta[m + 2]!;
    if (!included) {
      flush();
      continue;
    }
    if (runStart < 0) runStart = i === 0 ? 0 : day.meta[m - 1]! + 1;
    runEnd = day.meta[m + 3]!;
  }
  flush();
  return first;
}
