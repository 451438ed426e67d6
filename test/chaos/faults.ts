/**
 * The faults, each one scripted run under booking load in a world of its own (world.ts):
 * - postgres-restart: the cluster stopped (`pg_ctl stop -m immediate`, a crash) and started again;
 * - redis-restart: redis-server killed (SIGKILL) and started again on its port;
 * - api-kill: one of the two API processes killed (SIGKILL) and started again;
 * - worker-kill: the worker killed (SIGKILL) mid-job and started again;
 * - network: both proxies add latency to every chunk, then cut every open connection, repeatedly.
 * Expectations (`expectationFailures`): no answer but 2xx/4xx/503, every 503 with Retry-After, no
 * request left unanswered past the client's timeout, recovery within 30 s of the dependency's
 * return, and a clean history check.
 */
import { checkHistory } from './checker.ts';
import { type Load, type Op, startLoad } from './load.ts';
import { ADMIN, type World } from './world.ts';

export const FAULTS = ['postgres-restart', 'redis-restart', 'api-kill', 'worker-kill', 'network'] as const;
export type FaultName = (typeof FAULTS)[number];
export const RECOVERY_LIMIT_SECONDS = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Breaks something; resolves when it is back, with the load times (ms) it went and came back. */
async function inject(fault: FaultName, world: World, load: Load, downMs: number) {
  const from = load.now();
  switch (fault) {
    case 'postgres-restart':
      await world.cluster.stop();
      await sleep(downMs);
      await world.cluster.start();
      break;
    case 'redis-restart':
      await world.redis.kill();
      await sleep(downMs);
      await world.redis.start();
      break;
    case 'api-kill':
      await world.kill(world.apis[0]);
      await sleep(downMs);
      await world.startApi(0);
      break;
    case 'worker-kill':
      await world.kill(world.worker);
      await sleep(downMs);
      await world.startWorker();
      break;
    case 'network': {
      for (const p of [world.pgProxy, world.redisProxy]) p.latency(100);
      await sleep(downMs / 2);
      for (let i = 0; i < 3; i++) {
        world.pgProxy.cut();
        world.redisProxy.cut();
        await sleep(downMs / 6);
      }
      for (const p of [world.pgProxy, world.redisProxy]) p.latency(0);
      break;
    }
  }
  return { from, to: load.now() };
}

async function metricsOf(world: World): Promise<string> {
  const res = await fetch(`${world.baseUrl(1)}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

/** Seconds from `back` until every API answers ready, decides requests again, and the worker relays. */
async function recovery(world: World, load: Load, back: number): Promise<number | null> {
  for (;;) {
    const waited = (load.now() - back) / 1000;
    if (waited > 90) return null;
    const ready = await Promise.all(
      world.apiPorts.map((_, i) =>
        fetch(`${world.baseUrl(i)}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    const decided = world.apiPorts.map((_, i) =>
      load.history.some((o) => o.api === i && o.start >= back && o.status > 0 && o.status < 500),
    );
    const backlog = await world.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sent_at', 'is', null)
      .where('available_at', '<', new Date(Date.now() - 5_000))
      .executeTakeFirst()
      .then(
        (r) => Number(r?.n ?? 1),
        () => 1,
      );
    if (ready.every(Boolean) && decided.every(Boolean) && backlog === 0) return waited;
    await sleep(250);
  }
}

/** Waits until lapsed holds are expired, and the worker has relayed, run and sealed everything. */
async function drain(world: World, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let left = '';
  while (Date.now() < deadline) {
    const [row] = (
      await world.db
        .selectNoFrom((eb) => [
          eb
            .selectFrom('appointments')
            .select(eb.fn.countAll<number>().as('n'))
            .where('status', '=', 'pending_payment')
            .where('hold_expires_at', '<=', new Date())
            .as('lapsedHolds'),
          eb
            .selectFrom('outbox')
            .select(eb.fn.countAll<number>().as('n'))
            .where('sent_at', 'is', null)
            .where('available_at', '<=', new Date())
            .as('outbox'),
          eb
            .selectFrom('audit_logs')
            .select(eb.fn.countAll<number>().as('n'))
            .where('seq', 'is', null)
            .as('unsealed'),
          eb
            .selectFrom('refunds')
            .select(eb.fn.countAll<number>().as('n'))
            .where('status', '<>', 'processed')
            .as('refunds'),
        ])
        .execute()
    ).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])));
    const jobs = [
      ...(await metricsOf(world)).matchAll(/^job_queue_jobs\{state="(waiting|delayed|active)"\} (\d+)/gm),
    ]
      .map((m) => Number(m[2]))
      .reduce((a, b) => a + b, 0);
    left = JSON.stringify({ ...row, jobs });
    if (Object.values(row ?? {}).every((n) => n === 0) && jobs === 0) return null;
    await sleep(1_000);
  }
  return left;
}

/** GET an admin route (signed in as the bootstrap admin). */
async function asAdmin<T>(world: World, url: string): Promise<T> {
  const login = await fetch(`${world.baseUrl(0)}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const res = await fetch(`${world.baseUrl(0)}${url}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return (await res.json()) as T;
}

export interface FaultResult {
  fault: FaultName;
  requests: number;
  ok: number;
  fail: number;
  unknown: number;
  /** 503 answers (each with Retry-After, or it is an expectation failure). */
  unavailable: number;
  recoverySeconds: number | null;
  violations: string[];
  expectationFailures: string[];
}

/** What the history says about the HTTP contract under the fault. */
export function expectationFailures(history: Op[], recoverySeconds: number | null): string[] {
  const failures: string[] = [];
  const bad = history.filter((o) => o.status >= 500 && o.status !== 503);
  if (bad.length > 0)
    failures.push(`${bad.length} answers ${[...new Set(bad.map((o) => o.status))].join('/')}`);
  const bare503 = history.filter((o) => o.status === 503 && !o.retryAfter);
  if (bare503.length > 0) failures.push(`${bare503.length} 503 without Retry-After`);
  const hung = history.filter((o) => o.error === 'timeout');
  if (hung.length > 0) failures.push(`${hung.length} requests unanswered past the client timeout`);
  if (recoverySeconds === null || recoverySeconds > RECOVERY_LIMIT_SECONDS)
    failures.push(`recovery ${recoverySeconds ?? 'never'} s > ${RECOVERY_LIMIT_SECONDS} s`);
  return failures;
}

/** One fault, start to finish, in a world of its own (made and removed by the caller). */
export async function runFault(
  world: World,
  fault: FaultName,
  opts: { seconds: number; patients: number; note: (line: string) => void },
): Promise<FaultResult> {
  const seed = await world.seed(120, opts.patients);
  await Promise.all([world.startApi(0), world.startApi(1), world.startWorker()]);
  const load = startLoad({
    seed,
    baseUrls: world.apiPorts.map((_, i) => world.baseUrl(i)),
    patients: opts.patients,
  });
  let recoverySeconds: number | null = null;
  try {
    await sleep(opts.seconds * 300);
    opts.note(`${fault}: injecting at ${(load.now() / 1000).toFixed(1)} s`);
    const window = await inject(fault, world, load, Math.min(8_000, opts.seconds * 250));
    opts.note(`${fault}: back at ${(window.to / 1000).toFixed(1)} s`);
    recoverySeconds = await recovery(world, load, window.to);
    opts.note(`${fault}: recovered after ${recoverySeconds ?? 'never'} s`);
    await sleep(Math.max(0, opts.seconds * 1000 - load.now()));
  } finally {
    await load.stop();
  }
  opts.note(`${fault}: load stopped after ${(load.now() / 1000).toFixed(1)} s; draining`);
  // A notification whose run died waits out its claim (2 min, notifications/delivery.ts).
  const stuck = await drain(world, 180_000);
  const { violations, facts } = await checkHistory(world.db, load.history, {
    mailDir: world.mailDir,
    verifyAudit: () => asAdmin(world, '/api/v1/admin/audit-logs/verify'),
  });
  opts.note(`${fault}: checked ${JSON.stringify(facts)}`);
  if (stuck) violations.push(`not drained: ${stuck}`);
  const dead = await asAdmin<{ items: Array<{ name: string; failedReason: string }> }>(
    world,
    '/api/v1/admin/jobs/dead?limit=100',
  );
  if (dead.items.length > 0)
    violations.push(
      `jobs dead-lettered: ${dead.items.length} (${[...new Set(dead.items.map((j) => `${j.name}: ${j.failedReason}`))].join('; ')})`,
    );
  const count = (o: Op['outcome']) => load.history.filter((h) => h.outcome === o).length;
  return {
    fault,
    requests: load.history.length,
    ok: count('ok'),
    fail: count('fail'),
    unknown: count('unknown'),
    unavailable: load.history.filter((o) => o.status === 503).length,
    recoverySeconds: recoverySeconds === null ? null : Math.round(recoverySeconds * 10) / 10,
    violations,
    expectationFailures: expectationFailures(load.history, recoverySeconds),
  };
}
