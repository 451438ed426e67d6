/**
 * What a run reports: one table row per selected scenario (its numbers, the ratio to the ceiling
 * taken in the same run, the target and pass/FAIL; references have no pass/fail, a scenario that
 * could not be measured says `error`), framed by the mode and machine above and the invariants,
 * harness errors and RSS log below. Printed as Markdown and written to bench/results/<stamp>.md,
 * with everything else (raw numbers, machine, sizes, targets) in bench/results/<stamp>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Scenario, type Sizes, TARGETS } from './config.ts';
import { type DayResult, n0, note } from './lib.ts';
import type { Machine } from './machine.ts';
import type { Outcome, ScenarioRecord } from './outcome.ts';
import { ROOT } from './processes.ts';

export interface RunSummary {
  startedAt: Date;
  label: string | undefined;
  /** --only as given (null in the JSON when absent). */
  only: string[] | undefined;
  embedded: boolean;
  quick: boolean;
  selected: readonly Scenario[];
  size: Sizes;
  machine: Machine;
  setup: Record<string, unknown>;
  outcome: Outcome;
  runDir: string;
}

interface Row {
  scenario: string;
  rps: string;
  p50: string;
  p99: string;
  ratio: string;
  target: string;
  pass: 'pass' | 'FAIL' | '—' | 'error';
  notes: string;
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? '—' : n.toLocaleString('en', { maximumFractionDigits: digits });

/** A ceiling's req/s or tx/s, if it was measured. */
const ceilingOf = (r: ScenarioRecord | undefined) => (r && !r.error && r.rps ? r.rps : undefined);

interface Judged {
  target: string;
  checks: Array<[boolean, string]>;
  ratio?: number;
  ratioNote: string;
}

interface CeilingTarget {
  ceiling: Scenario;
  /** Embedded mode's floor instead of the ratio and p99. */
  embeddedRps: number;
  ratio: number;
  p99: number;
  /** The rest of the target's text. */
  suffix: string;
}

/**
 * read-slots and book-distinct are judged against the ceiling taken in the same run: a share of its
 * rate and a p99 bound; in embedded mode, a plain req/s floor (bench/README.md).
 */
const AGAINST_CEILING: Record<'read-slots' | 'book-distinct', CeilingTarget> = {
  'read-slots': {
    ceiling: 'ceiling-http',
    embeddedRps: TARGETS.embeddedReadRps,
    ratio: TARGETS.readSlotsRatio,
    p99: TARGETS.readSlotsP99,
    suffix: '',
  },
  'book-distinct': {
    ceiling: 'ceiling-db',
    embeddedRps: TARGETS.embeddedBookRps,
    ratio: TARGETS.bookDistinctRatio,
    p99: TARGETS.bookDistinctP99,
    suffix: ', only 201',
  },
};

function againstCeiling(r: ScenarioRecord, { embedded, outcome }: RunSummary, t: CeilingTarget): Judged {
  const rps = r.rps ?? 0;
  const ceilingRps = ceilingOf(outcome.records.get(t.ceiling));
  const ratio = ceilingRps ? rps / ceilingRps : undefined;
  if (embedded) {
    return {
      target: `≥ ${n0(t.embeddedRps)} req/s${t.suffix}`,
      checks: [[rps >= t.embeddedRps, 'req/s']],
      ratio,
      ratioNote: '',
    };
  }
  const checks: Array<[boolean, string]> = [];
  if (ratio !== undefined) checks.push([ratio >= t.ratio, 'ratio']);
  checks.push([(r.latency?.p99 ?? Number.POSITIVE_INFINITY) <= t.p99, 'p99']);
  return {
    target: `≥ ${t.ratio * 100} % of ${t.ceiling}, p99 ≤ ${t.p99} ms${t.suffix}`,
    checks,
    ratio,
    ratioNote: ratio === undefined ? `ratio not judged: ${t.ceiling} not run` : '',
  };
}

/** The target of one measured scenario, and how it did against it. */
function judge(name: Scenario, r: ScenarioRecord, run: RunSummary): Judged {
  const { quick, size } = run;
  const p99 = r.latency?.p99;
  switch (name) {
    case 'ceiling-http':
    case 'ceiling-db':
      return { target: 'reference', checks: [], ratioNote: '' };
    case 'read-slots':
    case 'book-distinct':
      return againstCeiling(r, run, AGAINST_CEILING[name]);
    case 'search':
      return {
        target: `≥ ${n0(TARGETS.searchRps)} req/s, p99 ≤ ${TARGETS.searchP99} ms`,
        checks: [
          [(r.rps ?? 0) >= TARGETS.searchRps, 'req/s'],
          [(p99 ?? Number.POSITIVE_INFINITY) <= TARGETS.searchP99, 'p99'],
        ],
        ratioNote: '',
      };
    case 'book-contended':
      return {
        target: `every round < ${n0(TARGETS.contendedRoundMs)} ms, 1 × 201 + ${n0(size.contendedSize - 1)} × 409 SLOT_UNAVAILABLE`,
        checks: [],
        ratioNote: '',
      };
    case 'day': {
      const limit = TARGETS.daySeconds * (size.dayBookings / TARGETS.dayBookings);
      const d = r.detail as DayResult | undefined;
      return {
        target: `< ${fmt(limit)} s${quick ? ` (${TARGETS.daySeconds} s scaled to ${n0(size.dayBookings)} bookings)` : ''}, only expected statuses`,
        checks: d ? [[d.seconds < limit && !d.partial, 'time']] : [],
        ratioNote: '',
      };
    }
    case 'memory':
      return { target: `RSS < ${TARGETS.memoryMb} MB`, checks: [], ratioNote: '' };
  }
}

function tableRows(run: RunSummary): Row[] {
  return run.selected.map((name): Row => {
    const r = run.outcome.records.get(name);
    if (!r) {
      return {
        scenario: name,
        rps: '—',
        p50: '—',
        p99: '—',
        ratio: '—',
        target: '—',
        pass: 'error',
        notes: 'not run',
      };
    }
    const { target, checks, ratio, ratioNote } = judge(name, r, run);
    for (const p of r.problems) checks.push([false, p]);
    const failed = checks.filter(([ok]) => !ok).map(([, why]) => why);
    const pass: Row['pass'] = r.error
      ? 'error'
      : target === 'reference'
        ? '—'
        : failed.length
          ? 'FAIL'
          : 'pass';
    const notes = [
      ...(r.error ? [`HARNESS ERROR: ${r.error.split('\n')[0]}`] : []),
      ...(failed.length ? [`failed: ${failed.join('; ')}`] : []),
      ...(ratioNote ? [ratioNote] : []),
      ...r.notes,
    ];
    const mem = name === 'memory' ? (r.detail as { rssMb?: number | null } | undefined)?.rssMb : undefined;
    return {
      scenario: name,
      rps:
        name === 'memory'
          ? `${mem ?? '?'} MB`
          : name === 'book-contended'
            ? '—'
            : `${fmt(r.rps, 0)}${name === 'ceiling-db' ? ' tx/s' : ''}`,
      p50: fmt(r.latency?.p50, 2),
      p99: fmt(r.latency?.p99, 2),
      ratio: ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`,
      target,
      pass,
      notes: notes.join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' '),
    };
  });
}

function markdownTable(rows: Row[]): string {
  const head =
    '| scenario | req/s (or tx/s) | p50 ms | p99 ms | ratio to ceiling | target | pass/fail | notes |';
  const sep = '|---|---:|---:|---:|---:|---|---|---|';
  return [
    head,
    sep,
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.ratio} | ${r.target} | ${r.pass} | ${r.notes} |`,
    ),
  ].join('\n');
}

/** Prints the table and writes bench/results/<stamp>.json and .md. */
export async function writeReport(run: RunSummary): Promise<void> {
  const { startedAt, label, embedded, quick, machine, outcome } = run;
  const rows = tableRows(run);
  const table = markdownTable(rows);
  const header = [
    `# npm run bench — ${startedAt.toISOString()}${label ? ` — ${label}` : ''}`,
    '',
    `mode ${embedded ? 'embedded (PGlite, in-process Redis stand-ins)' : 'PostgreSQL + Redis'}` +
      `${quick ? ', --quick (short runs, small seed: smoke test, numbers indicative only)' : ''}; ` +
      `${machine.nproc} cores, ${machine.cpu}; Node ${machine.node}; ${machine.postgres ?? ''}; ` +
      `commit ${machine.git.commit?.slice(0, 12)}${machine.git.dirty ? ` + uncommitted changes in ${machine.git.changedFiles} files` : ''}; ` +
      `load average at start ${machine.loadAverage.join(' ')}`,
    '',
  ].join('\n');
  const footer = [
    '',
    outcome.invariantViolations.length
      ? `**INVARIANT VIOLATED**: ${outcome.invariantViolations.join('; ')}`
      : outcome.invariantChecks > 0
        ? `Invariants held: no slot has two active appointments${run.selected.includes('book-contended') ? '; no contended round had two winners' : ''}.`
        : 'Invariants: nothing booked, nothing to check.',
    ...(outcome.harnessErrors.length
      ? [
          '',
          `**Harness errors** (numbers incomplete): ${outcome.harnessErrors.map((e) => e.split('\n')[0]).join('; ')}`,
        ]
      : []),
    '',
    `Server RSS after each step (MB): ${outcome.rssLog.map((r) => `${r.after} ${r.mb ?? '?'}`).join(', ')}`,
    '',
  ].join('\n');
  const markdown = `${header}\n${table}\n${footer}`;
  const result = {
    version: 1,
    label: label ?? null,
    flags: { only: run.only ?? null, embedded, quick, label: label ?? null },
    argv: process.argv.slice(2),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    sizes: run.size,
    targets: TARGETS,
    setup: run.setup,
    scenarios: Object.fromEntries(outcome.records),
    table: rows,
    rss: outcome.rssLog,
    invariantViolations: outcome.invariantViolations,
    harnessErrors: outcome.harnessErrors,
    markdown,
  };
  const resultsDir = path.join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const base = path.join(resultsDir, startedAt.toISOString().replace(/:/g, '-'));
  await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  console.log(markdown);
  note(
    `wrote ${path.relative(process.cwd(), `${base}.json`)} and .md; logs in ${path.join(run.runDir, 'logs')}`,
  );
}
