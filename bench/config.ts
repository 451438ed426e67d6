/**
 * What a bench run can do and what it expects (bench/README.md): the scenarios in the suite's order
 * (--only picks among them, always run in this order; --embedded runs the first few only), the sizes
 * and durations (--quick shrinks them to smoke-test the harness), the targets, and where the
 * services the runner itself talks to are.
 */

export const ADMIN_URL =
  process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const PGBENCH = process.env.BENCH_PGBENCH ?? 'pgbench';

export const SCENARIOS = [
  'ceiling-http',
  'read-slots',
  'search',
  'book-distinct',
  'book-contended',
  'day',
  'memory',
  'ceiling-db',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const EMBEDDED_SCENARIOS: readonly Scenario[] = ['ceiling-http', 'read-slots', 'book-distinct'];

/** Durations, connections and seed sizes; --quick shrinks them to smoke-test the harness. */
export function sizesFor(quick: boolean, embedded: boolean) {
  return quick
    ? {
        doctors: embedded ? 50 : 300,
        days: 14,
        embeddedPatients: 8_000,
        readDoctors: embedded ? 50 : 100,
        readConnections: 64,
        readSeconds: 3,
        searchConnections: 32,
        searchSeconds: 3,
        bookConnections: 16,
        bookSeconds: 3,
        warmupSeconds: 1,
        distinctPairs: 10_000,
        contendedRounds: 3,
        contendedSize: 1_000,
        dayBookings: 1_000,
        dayWorkers: 64,
        dayCapSeconds: 60,
        pgbenchSeconds: 3,
        pgbenchWarmupSeconds: 1,
        pgbenchPairs: 25_000,
        settleSeconds: 10,
      }
    : {
        doctors: embedded ? 100 : 1_000,
        days: 30,
        embeddedPatients: 20_000,
        readDoctors: 100,
        readConnections: 64,
        readSeconds: 10,
        searchConnections: 32,
        searchSeconds: 10,
        bookConnections: 16,
        bookSeconds: 10,
        warmupSeconds: 2,
        distinctPairs: 60_000,
        contendedRounds: 10,
        contendedSize: 1_000,
        // BENCH_DAY_BOOKINGS: a shorter day, e.g. to profile it.
        dayBookings: Number(process.env.BENCH_DAY_BOOKINGS ?? 100_000),
        dayWorkers: 64,
        dayCapSeconds: 600,
        pgbenchSeconds: 10,
        pgbenchWarmupSeconds: 2,
        pgbenchPairs: 100_000,
        settleSeconds: 60,
      };
}
export type Sizes = ReturnType<typeof sizesFor>;

/** The targets (bench/README.md). Ratios are to the ceiling taken in the same run. */
export const TARGETS = {
  readSlotsRatio: 0.4,
  readSlotsP99: 25,
  searchRps: 3_000,
  searchP99: 50,
  bookDistinctRatio: 0.3,
  bookDistinctP99: 50,
  contendedRoundMs: 1_000,
  daySeconds: 180,
  dayBookings: 100_000,
  memoryMb: 300,
  embeddedReadRps: 5_000,
  embeddedBookRps: 300,
};
