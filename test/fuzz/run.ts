import { parseArgs } from 'node:util';
import { startTestApp } from '../helpers/app.ts';
import { fuzzRoute, prepare, type RouteResult, report } from './campaign.ts';

/**
 * Long fuzzing runs: `npm run fuzz -- --runs N [--seed S] [--route 'METHOD /path'] [--path P]`.
 * Starts the app the way the tests do (its own PostgreSQL database and Redis prefix), builds the
 * fixture, then N requests per operation; prints per-route counts and, for each failure, the seed
 * and path that replay it (`--route … --seed … --path …` re-runs just that counterexample).
 * Exits 1 when anything failed.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    route: { type: 'string' },
    path: { type: 'string' },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs N [--seed S] [--route "METHOD /path"] [--path P]');
  process.exit(2);
}

const t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
const results: RouteResult[] = [];
let closeError: unknown;
try {
  const prepared = await prepare(t);
  const { operations } = prepared;
  const chosen = values.route ? operations.filter((o) => o.id === values.route) : operations;
  if (chosen.length === 0) throw new Error(`no operation ${values.route}`);
  console.log(`fuzzing ${chosen.length} operations, ${runs} requests each, seed ${seed}`);
  for (const operation of chosen) {
    const result = await fuzzRoute(t, prepared, operation, {
      runs,
      seed,
      ...(values.path ? { path: values.path } : {}),
    });
    results.push(result);
    console.log(report([result]).split('\n')[0]);
  }
} finally {
  // Closing also checks every answer against the document (test/helpers/documented.ts).
  await t.close().catch((error: unknown) => {
    closeError = error;
  });
}
console.log(`\n${report(results)}`);
if (closeError) console.error(String(closeError));
process.exit(results.some((r) => r.failure) || closeError ? 1 : 0);
