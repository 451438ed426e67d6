/**
 * Shared by the bench runner (bench/run.ts and the modules it uses) and its load-driver child
 * process (bench/driver.ts): the job/result shapes exchanged as JSON files, percentiles, access
 * tokens minted with the product's own token service and the signing key the server finds in the
 * same DATA_DIR, and the console: messages go to stderr, stdout carries only the runner's table.
 */
import { createTokenService } from '../src/modules/auth/tokens.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadSigningKey } from '../src/platform/keys.ts';
import type { SoakJob } from './driver/soak.ts';

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export type StatusCounts = Record<string, number>;

export interface Pair {
  patientId: string;
  slotId: string;
}

/** autocannon over a fixed list of GET paths (round-robin), or bookings of pre-computed pairs. */
export interface AutocannonJob {
  kind: 'autocannon';
  name: string;
  baseUrl: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** GET these paths round-robin… */
  paths?: string[];
  /** …or POST /api/v1/appointments, one pair per request, never reused. */
  book?: { pairs: Pair[]; dataDir: string };
}

export interface AutocannonResult {
  requests: number;
  seconds: number;
  rps: number;
  latency: Latency;
  statuses: StatusCounts;
  errors: number;
  timeouts: number;
  /** Booking: pairs used (warm-up included) and whether they ran out (the run stopped early). */
  pairsUsed?: number;
  exhausted?: boolean;
  /** A few non-2xx bodies, for the notes. */
  samples?: Array<{ status: number; body: string }>;
}

export interface ContendedJob {
  kind: 'contended';
  baseUrl: string;
  dataDir: string;
  rounds: Array<{ slotId: string; patientIds: string[] }>;
}

export interface ContendedRound {
  slotId: string;
  ms: number;
  statuses: StatusCounts;
  /** 409 bodies by `code`. */
  conflictCodes: StatusCounts;
  /** Requests that had to open a new connection (should be 0: all are opened before the round). */
  newConnections: number;
  errors: number;
}

export interface ContendedResult {
  rounds: ContendedRound[];
  latency: Latency;
}

export interface DayJob {
  kind: 'day';
  baseUrl: string;
  dataDir: string;
  workers: number;
  capSeconds: number;
  readsPerBooking: number;
  pairs: Pair[];
  doctorIds: string[];
  /** Random 3-day windows start at one of these (ISO, UTC midnight). */
  windowStarts: string[];
  windowDays: number;
  /** Every payEvery-th booking (offset 0) is paid, every cancelEvery-th (offset cancelOffset) cancelled. */
  payEvery: number;
  cancelEvery: number;
  cancelOffset: number;
}

export interface DayKindResult {
  count: number;
  statuses: StatusCounts;
  latency: Latency;
}

export interface DayResult {
  seconds: number;
  completedBookings: number;
  plannedBookings: number;
  partial: boolean;
  reads: DayKindResult;
  bookings: DayKindResult;
  pays: DayKindResult;
  cancels: DayKindResult;
  all: { count: number; latency: Latency };
  errors: number;
  samples: Array<{ kind: string; status: number; body: string }>;
}

export type DriverJobInput = AutocannonJob | ContendedJob | DayJob | SoakJob;
export type DriverJob = DriverJobInput & { resultFile: string };

/** The runner's messages, and the driver's indented under them. */
export const note = (message: string) => process.stderr.write(`bench: ${message}\n`);
export const driverNote = (message: string) => process.stderr.write(`  [driver] ${message}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A count as every note prints it: rounded, with thousands separators (12,345). */
export const n0 = (n: number) => Math.round(n).toLocaleString('en');

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Exact percentiles of a list of milliseconds (sorted in place). */
export function latencyOf(values: number[] | Float64Array): Latency {
  if (values.length === 0)
    return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = values instanceof Float64Array ? values.sort() : Float64Array.from(values).sort();
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: round2(at(0.5)),
    p90: round2(at(0.9)),
    p99: round2(at(0.99)),
    max: round2(sorted[sorted.length - 1]!),
    mean: round2(sum / sorted.length),
  };
}

/** A growable list of float64 (a million latencies without a million boxed numbers). */
export class Samples {
  #data = new Float64Array(1024);
  #length = 0;
  push(v: number) {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = v;
  }
  get length() {
    return this.#length;
  }
  values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
}

export function count(counts: StatusCounts, key: string | number, n = 1) {
  counts[key] = (counts[key] ?? 0) + n;
}

/**
 * Access tokens for these patients, signed like the server's own (same key file in DATA_DIR,
 * same issuer and audience); valid for two hours (longer than any scenario) unless told otherwise.
 */
export async function mintPatientTokens(
  dataDir: string,
  patientIds: string[],
  ttlSeconds = 7200,
): Promise<string[]> {
  const key = await loadSigningKey(
    {
      privateKeyPem: process.env.BENCH_SERVER_ENV_JWT_PRIVATE_KEY,
      publicKeyPem: process.env.BENCH_SERVER_ENV_JWT_PUBLIC_KEY,
    },
    dataDir,
  );
  // Issues tokens only: no session of theirs is ever revoked.
  const tokens = createTokenService(
    key,
    systemClock,
    { issuer: process.env.BENCH_SERVER_ENV_JWT_ISSUER ?? 'amrutam', accessTtlSeconds: ttlSeconds },
    () => false,
  );
  const out: string[] = new Array(patientIds.length);
  for (let i = 0; i < patientIds.length; i++) {
    const id = patientIds[i]!;
    out[i] = await tokens.issueAccessToken({ id, role: 'patient' }, id, false);
  }
  return out;
}
