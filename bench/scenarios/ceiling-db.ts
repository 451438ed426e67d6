/**
 * ceiling-db, the reference for book-distinct: pgbench running one booking's writes as one SQL
 * statement (bench/ceiling-db.sql, or BENCH_CEILING_DB_SQL) against the same database, after the
 * HTTP scenarios and with the worker stopped so nothing else writes. Each pgbench run books the
 * next fresh pair from a bench_pairs table; the script is first tried once (rolled back), and
 * afterwards every transaction must have booked its pair, or the scenario is a harness error.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PGBENCH, type Sizes } from '../config.ts';
import type { Query } from '../database.ts';
import { type Latency, latencyOf, n0, type Pair } from '../lib.ts';
import { baseEnv, ROOT, runCaptured } from '../processes.ts';
import type { ScenarioRun } from './context.ts';

export const ceilingDb: ScenarioRun = async ({ env, size, supply, outcome }, record) => {
  const { name } = record;
  if (!env.db) throw new Error('ceiling-db needs PostgreSQL');
  // Nothing else may write meanwhile: the worker would seal and relay these rows.
  await env.stopWorker();
  const r = await pgbenchBookings(env.db, env.dbUrl, supply.pairs(size.pgbenchPairs, name), env.runDir, size);
  Object.assign(record, { detail: r, rps: r.tps, latency: r.latency });
  record.notes.push(
    `pgbench -c 16 -j 2 -T ${size.pgbenchSeconds} -n -M prepared -f ${path.relative(ROOT, r.script)}; ` +
      `${n0(r.transactions)} tx, ${r.failed} failed; avg ${r.latencyAverage} ms; worker stopped`,
  );
  if (r.problem) record.error = r.problem;
  await outcome.checkDoubleBooking(env.db, name);
};

interface CeilingDbResult {
  script: string;
  tps: number;
  transactions: number;
  failed: number;
  latencyAverage: number;
  latency: Latency;
  pairs: number;
  pairsUsed: number;
  booked: number;
  problem?: string;
  output: string;
}

/** Loads the pairs, checks the script once, runs pgbench (warm-up, then measured) and checks its bookings. */
async function pgbenchBookings(
  db: Query,
  dbUrl: URL,
  pairs: Pair[],
  runDir: string,
  size: Sizes,
): Promise<CeilingDbResult> {
  const script = path.resolve(ROOT, process.env.BENCH_CEILING_DB_SQL ?? 'bench/ceiling-db.sql');
  await db.rows('DROP TABLE IF EXISTS bench_pairs');
  await db.rows('DROP SEQUENCE IF EXISTS bench_pairs_seq');
  await db.rows(
    'CREATE TABLE bench_pairs (n bigint PRIMARY KEY, patient_id uuid NOT NULL, slot_id uuid NOT NULL)',
  );
  await db.rows(
    `INSERT INTO bench_pairs (n, patient_id, slot_id)
     SELECT t.n, t.patient_id, t.slot_id FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(patient_id, slot_id, n)`,
    [pairs.map((p) => p.patientId), pairs.map((p) => p.slotId)],
  );
  await db.rows('CREATE SEQUENCE bench_pairs_seq');
  await db.rows('ANALYZE bench_pairs');

  // The script must book exactly one slot per run against this schema: try it once, rolled back.
  const sqlText = await readFile(script, 'utf8');
  await db.rows('BEGIN');
  try {
    const [row] = await db.rows<{ booked: number | string }>(sqlText.replace(/;\s*$/, ''));
    if (Number(row?.booked) !== 1) throw new Error(`one run booked ${row?.booked ?? 'nothing'}, not 1`);
  } catch (error) {
    throw new Error(
      `${path.relative(ROOT, script)} does not book against this schema (${(error as Error).message}); ` +
        'adapt it or set BENCH_CEILING_DB_SQL (bench/README.md)',
    );
  } finally {
    await db.rows('ROLLBACK');
  }

  const env = {
    ...baseEnv(),
    ...(dbUrl.password ? { PGPASSWORD: decodeURIComponent(dbUrl.password) } : {}),
  };
  const common = [
    '-h',
    dbUrl.hostname,
    '-p',
    dbUrl.port || '5432',
    '-U',
    decodeURIComponent(dbUrl.username || 'postgres'),
    '-c',
    '16',
    '-j',
    '2',
    '-n',
    '-M',
    'prepared',
    '-f',
    script,
  ];
  const database = dbUrl.pathname.slice(1);
  if (size.pgbenchWarmupSeconds > 0) {
    await runCaptured(PGBENCH, [...common, '-T', String(size.pgbenchWarmupSeconds), database], { env });
  }
  const logPrefix = path.join(runDir, 'pgbench_log');
  const { stdout } = await runCaptured(
    PGBENCH,
    [...common, '-T', String(size.pgbenchSeconds), '--log', `--log-prefix=${logPrefix}`, database],
    { env, maxBuffer: 10_000_000 },
  );
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
  const latencies: number[] = [];
  for (const file of await readdir(runDir)) {
    if (!file.startsWith('pgbench_log.')) continue;
    for (const line of (await readFile(path.join(runDir, file), 'utf8')).split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (line && Number.isFinite(us)) latencies.push(us / 1000);
    }
  }
  const [seq] = await db.rows<{ last_value: string }>('SELECT last_value FROM bench_pairs_seq');
  const [booked] = await db.rows<{ n: number }>(
    `SELECT count(*)::int AS n FROM appointments AS a
     JOIN bench_pairs AS p ON p.slot_id = a.slot_id AND p.patient_id = a.patient_id`,
  );
  const used = Number(seq?.last_value ?? 0);
  const result: CeilingDbResult = {
    script,
    tps: Math.round(num(/tps = ([\d.]+) \(without initial connection time\)/) * 10) / 10,
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/) || 0,
    latencyAverage: num(/latency average = ([\d.]+) ms/),
    latency: latencyOf(latencies),
    pairs: pairs.length,
    pairsUsed: used,
    booked: booked?.n ?? 0,
    output: stdout,
  };
  if (used >= pairs.length) {
    result.problem = `pgbench used all ${n0(pairs.length)} (patient, slot) pairs: raise pgbenchPairs in bench/config.ts`;
  } else if (result.booked !== used - 1) {
    // Every run but the rolled-back check must have booked its pair.
    result.problem = `${n0(used - 1)} pgbench transactions but ${n0(result.booked)} appointments: the script did not book every time`;
  }
  return result;
}
