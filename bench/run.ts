/**
 * npm run bench — the product measured against ceilings taken in the same run on the same machine.
 * bench/README.md describes every scenario, its target and the flags:
 *   --only=a,b,c   scenarios to run (in the suite's order)      --embedded  embedded mode
 *   --quick        short runs on small seeds (smoke test)        --label=x   stored in the JSON
 * Writes bench/results/<ISO timestamp>.json and .md and prints the Markdown table. Exit code 0
 * whatever the targets say; non-zero only when the harness failed or an invariant was broken.
 *
 * This file: flags, then the run in order — environment (setup.ts), seed, server, each scenario
 * (scenarios/*.ts) with the RSS and the worker's settling after it, cleanup, report (report.ts).
 */
import { parseArgs } from 'node:util';
import { EMBEDDED_SCENARIOS, SCENARIOS, type Scenario, type Sizes, sizesFor } from './config.ts';
import { n0, note } from './lib.ts';
import { machineInfo } from './machine.ts';
import { Outcome, type ScenarioRecord } from './outcome.ts';
import { rssMb, tail } from './processes.ts';
import { writeReport } from './report.ts';
import { bookContended, bookDistinct } from './scenarios/bookings.ts';
import { ceilingDb } from './scenarios/ceiling-db.ts';
import type { ScenarioContext, ScenarioRun } from './scenarios/context.ts';
import { day, memory } from './scenarios/day.ts';
import { ceilingHttp, readSlots, search, slotReadPaths } from './scenarios/reads.ts';
import { BenchEnvironment } from './setup.ts';
import { Supply } from './supply.ts';

const SCENARIO_RUNS: Record<Scenario, ScenarioRun> = {
  'ceiling-http': ceilingHttp,
  'read-slots': readSlots,
  search,
  'book-distinct': bookDistinct,
  'book-contended': bookContended,
  day,
  memory,
  'ceiling-db': ceilingDb,
};

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    embedded: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    label: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    `npm run bench -- [--only=${SCENARIOS.join(',')}] [--embedded] [--quick] [--label=text]\nSee bench/README.md.`,
  );
  process.exit(0);
}
const embedded = flags.embedded ?? false;
const quick = flags.quick ?? false;
const available = embedded ? EMBEDDED_SCENARIOS : SCENARIOS;
const wanted = flags.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of wanted ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    console.error(`unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
  if (!available.includes(name as Scenario)) {
    console.error(
      `scenario "${name}" does not run in embedded mode (it runs ${EMBEDDED_SCENARIOS.join(', ')})`,
    );
    process.exit(2);
  }
}
const selected = available.filter((s) => !wanted || wanted.includes(s));
const has = (s: Scenario) => selected.includes(s);
const SIZE = sizesFor(quick, embedded);
const startedAt = new Date();

/** The patients the selected scenarios book with: nobody books twice. */
function patientsNeeded(size: Sizes): number {
  if (embedded) return size.embeddedPatients;
  return Math.max(
    1_000,
    (has('book-distinct') ? size.distinctPairs : 0) +
      (has('book-contended') ? size.contendedRounds * size.contendedSize : 0) +
      (has('day') ? size.dayBookings : 0) +
      (has('ceiling-db') ? size.pgbenchPairs : 0),
  );
}

/** Runs one scenario into its record, then notes the server's RSS and lets the worker settle. */
async function runScenario(name: Scenario, ctx: ScenarioContext): Promise<void> {
  const { env, outcome } = ctx;
  const record: ScenarioRecord = {
    name,
    startedAt: new Date().toISOString(),
    seconds: 0,
    notes: [],
    problems: [],
  };
  outcome.records.set(name, record);
  note(`--- ${name}`);
  const t0 = performance.now();
  try {
    await SCENARIO_RUNS[name](ctx, record);
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  }
  record.seconds = Math.round((performance.now() - t0) / 100) / 10;
  if (record.error) {
    outcome.harnessErrors.push(`${name}: ${record.error}`);
    note(`${name}: HARNESS ERROR ${record.error}`);
  }
  record.rssMbAfter = await rssMb(env.server?.pid);
  record.counters = await serverCounters(env.baseUrl);
  outcome.rssLog.push({ after: name, mb: record.rssMbAfter });
  if (name !== 'memory' && name !== 'ceiling-db') record.settle = await env.settle(SIZE.settleSeconds);
  note(
    `${name}: ${record.rps !== undefined ? `${n0(record.rps)}/s ` : ''}p50 ${record.latency?.p50 ?? '-'} ms ` +
      `p99 ${record.latency?.p99 ?? '-'} ms; RSS ${record.rssMbAfter} MB`,
  );
}

/** The server's own counters of interest (/metrics) after a scenario: where slot reads came from, bookings' outcomes, memory. */
async function serverCounters(baseUrl: string): Promise<Record<string, number> | undefined> {
  const text = await fetch(`${baseUrl}/metrics`)
    .then((r) => r.text())
    .catch(() => undefined);
  if (!text) return undefined;
  const counters: Record<string, number> = {};
  for (const m of text.matchAll(
    /^((?:slot_cache_\w+|booking_attempts_total)\{[^}]*\}|nodejs_heap_size_(?:total|used)_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes) (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm,
  )) {
    counters[m[1]!] = Number(m[2]);
  }
  return counters;
}

async function main(): Promise<number> {
  const compact = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '_')
    .toLowerCase();
  const env = await BenchEnvironment.create(embedded, compact);
  const machine = await machineInfo(embedded);
  const outcome = new Outcome();

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    note('interrupted: cleaning up');
    void env.cleanup().then(() => process.exit(130));
  });

  try {
    const seeded = await env.seed(SIZE, patientsNeeded(SIZE));
    await env.startProduct();
    outcome.rssLog.push({ after: 'start', mb: await rssMb(env.server?.pid) });
    const ctx: ScenarioContext = {
      size: SIZE,
      embedded,
      has,
      env,
      doctors: seeded.doctors,
      readPaths: slotReadPaths(seeded.doctors, SIZE.readDoctors),
      supply: new Supply(seeded.patients, seeded.slots),
      outcome,
    };
    for (const name of selected) {
      if (interrupted) break;
      if (!env.serverAlive()) {
        outcome.harnessErrors.push(
          `${name}: skipped, the server is not running:\n${await tail(env.serverLog)}`,
        );
        continue;
      }
      await runScenario(name, ctx);
    }

    await env.stopProduct();
    // Embedded: the database can be opened once the server is gone.
    if (embedded && (has('book-distinct') || has('book-contended') || has('day'))) {
      await outcome.checkDoubleBooking(
        await env.openDb(),
        'the run (embedded, checked after the server stopped)',
      );
    }
  } catch (error) {
    outcome.harnessErrors.push(
      `setup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    await env.cleanup();
  }

  await writeReport({
    startedAt,
    label: flags.label,
    only: wanted,
    embedded,
    quick,
    selected,
    size: SIZE,
    machine,
    setup: env.setup,
    outcome,
    runDir: env.runDir,
  });
  for (const e of outcome.harnessErrors) note(`harness error: ${e}`);
  return outcome.invariantViolations.length > 0 || outcome.harnessErrors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
