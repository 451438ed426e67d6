import type { Clock } from './clock.ts';
import type { Kv } from './kv.ts';

/**
 * Every job runner (the worker, or an API process with RUN_JOBS) says it is alive every BEAT_MS,
 * in the shared store (Redis, or in-process in embedded mode), so /readyz can report a deployment
 * whose jobs nobody runs: refunds that stay pending, audit rows never sealed, holds never expired.
 */
export const BEAT_MS = 10_000;
/** Unseen this long: no job runner (several beats missed). */
export const SILENT_MS = 60_000;
const KEY = 'jobs:heartbeat';

export const beat = (kv: Kv, clock: Clock) =>
  kv.cache.setMany([[KEY, String(clock.now().getTime())]], SILENT_MS);

/** Milliseconds since a job runner last said it was alive, or null if none has within SILENT_MS. */
export async function sinceLastBeat(kv: Kv, clock: Clock): Promise<number | null> {
  const [at] = await kv.cache.getMany([KEY]);
  return at ? Math.max(0, clock.now().getTime() - Number(at)) : null;
}
