import fc from 'fast-check';
import type { TestApp } from '../helpers/app.ts';
import { type FuzzRequest, type Json, type Operation, requestOf } from './arbitraries.ts';
import { buildFixture, type Fixture, headersOf } from './fixture.ts';
import { type Oracles, oraclesFor } from './oracles.ts';

/**
 * A fuzzing campaign: one fast-check property per operation of the app's own OpenAPI document,
 * each request sent with app.inject and held to the oracles. Shared by the seeded run in
 * `npm test` (test/fuzz.test.ts) and long runs (`npm run fuzz`, test/fuzz/run.ts). State may drift
 * as requests succeed (a booking, a cancellation); the oracles don't depend on it.
 */
export interface RouteResult {
  route: string;
  runs: number;
  ms: number;
  /** How many answers of each status. */
  statuses: Record<string, number>;
  /** The first counterexample, shrunk, with what reproduces it. */
  failure?: { seed: number; path: string; request: FuzzRequest; problems: string[] };
}

const ANSWER_WITHIN_MS = 15_000;

export interface Prepared {
  fixture: Fixture;
  doc: Json;
  operations: Operation[];
  oracles: Oracles;
}

export async function prepare(t: TestApp): Promise<Prepared> {
  const fixture = await buildFixture(t);
  const doc = (await t.inject({ method: 'GET', url: '/api-docs/openapi.json' })).json() as Json;
  const operations = Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<Json>(ops).map(([method, op]) => ({
      id: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      op,
    })),
  );
  return {
    fixture,
    doc,
    operations,
    oracles: oraclesFor(doc, fixture),
  };
}

export async function fuzzRoute(
  t: TestApp,
  { fixture, doc, oracles }: Prepared,
  operation: Operation,
  options: { runs: number; seed: number; path?: string },
): Promise<RouteResult> {
  const { own, other } = fixture;
  const ids = [
    ...[own, other].flatMap((s) => [
      s.inProgress,
      s.confirmed,
      s.cancelled,
      s.confirmedPaymentId,
      s.bookedSlotId,
      s.openSlotId,
      s.doctor.id,
    ]),
    other.patient.id,
  ];
  const pools = {
    // Suspending the actors would silence them for the rest of the run: only the suspended one.
    ids: operation.path.startsWith('/api/v1/admin/users/') ? [fixture.suspended.id] : ids,
    resolve: (ref: string) => doc.components.schemas[ref.split('/').pop()!] as Json,
  };
  const started = performance.now();
  const result: RouteResult = { route: operation.id, runs: 0, ms: 0, statuses: {} };
  const property = fc.asyncProperty(requestOf(operation, pools), async (request) => {
    const response = await answered(t, fixture, request);
    result.runs += 1;
    result.statuses[response.statusCode] = (result.statuses[response.statusCode] ?? 0) + 1;
    const problems = oracles.check(operation, request, response);
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.path ? { path: options.path } : {}),
  });
  await fixture.resuspend();
  result.ms = Math.round(performance.now() - started);
  if (details.failed && details.counterexample) {
    const [request] = details.counterexample;
    result.failure = {
      seed: details.seed,
      path: details.counterexamplePath ?? '',
      request: { ...request, ...(request.payload ? { payload: request.payload.slice(0, 500) } : {}) },
      problems: String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance).split(
        '; ',
      ),
    };
  }
  return result;
}

async function answered(t: TestApp, fixture: Fixture, request: FuzzRequest) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
  });
  try {
    return await Promise.race([
      t.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: { ...request.headers, ...(await headersOf(fixture, request.actor)) },
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One line per route: runs, statuses, and a failure with the seed and path that reproduce it. */
export function report(results: RouteResult[]): string {
  const lines = results.map((r) => {
    const statuses = Object.entries(r.statuses)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    const failed = r.failure
      ? `\n    FAILED (--seed ${r.failure.seed} --path ${r.failure.path} --route '${r.route}'): ${r.failure.problems.join('; ')}\n    request: ${JSON.stringify(r.failure.request).slice(0, 600)}`
      : '';
    return `${r.route.padEnd(58)} ${String(r.runs).padStart(6)} ${String(r.ms).padStart(7)} ms  ${statuses}${failed}`;
  });
  const total = results.reduce((n, r) => n + r.runs, 0);
  const failed = results.filter((r) => r.failure).length;
  return `${lines.join('\n')}\n${results.length} routes, ${total} requests, ${failed} failing`;
}
