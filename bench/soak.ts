/**
 * npm run soak -- --minutes 30 — hours of ordinary traffic in half an hour: does anything pile up?
 *   --minutes N      how long the soak runs (default 30)
 *   --share F        the load as a share of the capacity measured first (default 0.5)
 *   --probe-seconds  how long the capacity probe runs (default 20)
 *
 * The bench's world (setup.ts: a fresh database, Redis prefix, seed, server and worker as npm runs
 * them), then: a capacity probe (patients' visits as fast as 64 workers go: reads, a booking, then
 * paying or cancelling), then visits started at `share` of that rate for N minutes. Once a minute
 * the runner samples the API server (RSS, heap, event-loop lag p99, database pool, open handles,
 * from /proc and /metrics) and the worker's RSS. It fails (exit 1) when the server's RSS grows
 * beyond noise (trend.ts), when any request got a 5xx or no answer, or a slot ends up double-booked.
 * The table goes to stdout and bench/results/soak-<timestamp>.{md,json}.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sizesFor } from './config.ts';
import type { SoakJob, SoakMinute, SoakResult } from './driver/soak.ts';
import { n0, note, sleep } from './lib.ts';
import { Outcome, statusText } from './outcome.ts';
import { ROOT, rssMb } from './processes.ts';
import { BenchEnvironment } from './setup.ts';
import { rssTrend } from './trend.ts';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    share: { type: 'string', default: '0.5' },
    'probe-seconds': { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log('npm run soak -- [--minutes 30] [--share 0.5] [--probe-seconds 20]\nSee docs/reliability.md.');
  process.exit(0);
}
const minutes = Number(flags.minutes);
const share = Number(flags.share);
const probeSeconds = Number(flags['probe-seconds']);
if (!(minutes >= 1 && share > 0 && share <= 1 && probeSeconds >= 5)) {
  console.error('--minutes must be ≥ 1, --share in (0, 1], --probe-seconds ≥ 5');
  process.exit(2);
}

interface Sample {
  minute: number;
  serverRssMb: number | null;
  workerRssMb: number | null;
  heapUsedMb: number | null;
  eventLoopLagP99Ms: number | null;
  poolTotal: number | null;
  poolWaiting: number | null;
  activeHandles: number | null;
}

async function sample(env: BenchEnvironment, minute: number): Promise<Sample> {
  const text = await fetch(`${env.baseUrl}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const metric = (pattern: string) => {
    const m = new RegExp(`^${pattern} ([\\d.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const mb = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / 1048576));
  const lag = metric('nodejs_eventloop_lag_p99_seconds');
  return {
    minute,
    serverRssMb: await rssMb(env.server?.pid),
    workerRssMb: await rssMb(env.worker?.pid),
    heapUsedMb: mb(metric('nodejs_heap_size_used_bytes')),
    eventLoopLagP99Ms: lag === null ? null : Math.round(lag * 10_000) / 10,
    poolTotal: metric('db_pool_connections\\{state="total"\\}'),
    poolWaiting: metric('db_pool_connections\\{state="waiting"\\}'),
    activeHandles: metric('nodejs_active_handles_total'),
  };
}

function table(samples: Sample[], perMinute: SoakMinute[]): string {
  const rows = samples.map((s) => {
    const m = perMinute.find((p) => p.minute === s.minute);
    const cells = [
      s.minute,
      m ? n0(m.requests) : '–',
      m ? m.latency.p99 : '–',
      m ? m.errors : '–',
      s.serverRssMb,
      s.heapUsedMb,
      s.workerRssMb,
      s.eventLoopLagP99Ms,
      `${s.poolTotal ?? '?'} (${s.poolWaiting ?? '?'} waiting)`,
      s.activeHandles,
    ];
    return `| ${cells.map((c) => c ?? '?').join(' | ')} |`;
  });
  return [
    '| minute | requests | p99 ms | errors | API RSS MB | heap MB | worker RSS MB | loop lag p99 ms | pool | handles |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const env = await BenchEnvironment.create(false, startedAt.toISOString().replace(/\D/g, '').slice(0, 14));
  const outcome = new Outcome();
  process.once('SIGINT', () => void env.cleanup().then(() => process.exit(130)));
  try {
    const seeded = await env.seed({ ...sizesFor(false, false), doctors: 200, days: 30 }, 3_000);
    await env.startProduct();
    const today = Date.parse(`${startedAt.toISOString().slice(0, 10)}T00:00:00.000Z`);
    const job = (name: string, seconds: number, rate: number | null, minuteFile?: string): SoakJob => ({
      kind: 'soak',
      name,
      baseUrl: env.baseUrl,
      dataDir: env.dataDir,
      seconds,
      workers: 64,
      rate,
      readsPerVisit: 10,
      payEvery: 20,
      patientIds: seeded.patients,
      slotIds: seeded.slots,
      doctorIds: seeded.doctors.map((d) => d.id),
      windowStarts: Array.from({ length: 27 }, (_, k) => new Date(today + k * 86_400_000).toISOString()),
      windowDays: 3,
      ...(minuteFile ? { minuteFile } : {}),
    });
    note(`capacity probe: ${probeSeconds} s of visits as fast as 64 workers go`);
    const probe = await env.drive<SoakResult>('soak-probe', job('probe', probeSeconds, null));
    await env.settle(60);
    const rate = Math.max(1, Math.round(probe.visitsPerSecond * share * 10) / 10);
    note(
      `capacity ${probe.visitsPerSecond} visits/s (${n0(probe.requests / probe.seconds)} req/s); soaking at ${rate} visits/s for ${minutes} min`,
    );

    const minuteFile = path.join(env.runDir, 'soak-minutes.jsonl');
    const samples: Sample[] = [await sample(env, 0)];
    const soaking = env.drive<SoakResult>('soak', job('soak', minutes * 60, rate, minuteFile));
    let finished = false;
    void soaking.finally(() => {
      finished = true;
    });
    const t0 = performance.now();
    for (let m = 1; m <= minutes; m++) {
      while (!finished && performance.now() - t0 < m * 60_000) await sleep(250);
      if (finished && m < minutes) break;
      samples.push(await sample(env, m));
    }
    const soak = await soaking;
    await env.settle(60);
    await outcome.checkDoubleBooking(env.db, 'the soak');
    const perMinute = (await readFile(minuteFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SoakMinute);
    const trend = rssTrend(
      samples.flatMap((s) => (s.serverRssMb === null ? [] : [{ minute: s.minute, mb: s.serverRssMb }])),
    );
    const serverErrors = Object.entries(soak.statuses).filter(([k]) => / 5\d\d$/.test(k));
    const failures = [
      ...(trend.growing
        ? [
            `API RSS grows ${trend.slopeMbPerMinute} MB/min (± ${trend.standardError}): +${trend.growthMb} MB > ${trend.allowedGrowthMb} MB`,
          ]
        : []),
      ...(soak.errors > 0 ? [`${soak.errors} requests failed or got an unexpected status`] : []),
      ...serverErrors.map(([k, n]) => `${n} × ${k}`),
      ...outcome.invariantViolations,
    ];
    const markdown = [
      `## Soak ${startedAt.toISOString()}: ${minutes} min at ${rate} visits/s (${share} × the probe's ${probe.visitsPerSecond})`,
      '',
      table(samples, perMinute),
      '',
      `- ${n0(soak.requests)} requests in ${soak.seconds} s (${n0(soak.requests / soak.seconds)}/s), p50 ${soak.latency.p50} ms, p99 ${soak.latency.p99} ms`,
      `- statuses: ${statusText(soak.statuses)}; 409 codes: ${statusText(soak.conflictCodes)}`,
      `- API RSS trend after the warm-up: ${trend.slopeMbPerMinute} MB/min ± ${trend.standardError} over ${trend.samples} samples (fitted growth ${trend.growthMb} MB, allowed ${trend.allowedGrowthMb} MB): ${trend.growing ? 'GROWING' : 'flat'}`,
      `- ${failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`}`,
    ].join('\n');
    console.log(markdown);
    const results = path.join(ROOT, 'bench', 'results');
    await mkdir(results, { recursive: true });
    const base = path.join(results, `soak-${startedAt.toISOString().replace(/:/g, '-')}`);
    await writeFile(`${base}.md`, `${markdown}\n`);
    await writeFile(
      `${base}.json`,
      `${JSON.stringify({ minutes, share, rate, probe, soak, samples, perMinute, trend, failures }, null, 2)}\n`,
    );
    return failures.length === 0 ? 0 : 1;
  } finally {
    await env.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
