/**
 * `npm run chaos [-- --seconds N] [--only a,b]`: every fault of faults.ts under booking load, each
 * in a world of its own (a throwaway PostgreSQL cluster and redis-server, never the shared ones),
 * removed afterwards even when the run fails or is interrupted. Prints one table row per fault;
 * exits 1 on any invariant violation or failed expectation. Progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { clustersUnavailable } from '../helpers/pg-cluster.ts';
import { FAULTS, type FaultName, type FaultResult, runFault } from './faults.ts';
import { World } from './world.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    patients: { type: 'string', default: '40' },
    only: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const patients = Number(values.patients);
const only = values.only?.split(',') ?? [...FAULTS];
const unknownFault = only.find((f) => !(FAULTS as readonly string[]).includes(f));
if (
  !Number.isInteger(seconds) ||
  seconds < 10 ||
  !Number.isInteger(patients) ||
  patients < 1 ||
  unknownFault
) {
  console.error(
    `usage: npm run chaos -- [--seconds N (≥ 10, default 120)] [--patients N] [--only ${FAULTS.join(',')}]`,
  );
  process.exit(2);
}
if (clustersUnavailable) {
  console.error(`chaos: ${clustersUnavailable}`);
  process.exit(2);
}

const note = (line: string) => process.stderr.write(`chaos: ${line}\n`);
let current: World | undefined;
const interrupted = async () => {
  note('interrupted: removing the run’s processes and data');
  await current?.destroy();
  process.exit(130);
};
process.once('SIGINT', interrupted).once('SIGTERM', interrupted);

const results: FaultResult[] = [];
for (const fault of only as FaultName[]) {
  const started = Date.now();
  current = await World.create();
  try {
    results.push(await runFault(current, fault, { seconds, patients, note }));
  } catch (error) {
    note(`${fault}: the run itself failed: ${(error as Error).stack}\n${await current.logTails()}`);
    results.push({
      fault,
      requests: 0,
      ok: 0,
      fail: 0,
      unknown: 0,
      unavailable: 0,
      recoverySeconds: null,
      violations: [],
      expectationFailures: [`harness error: ${(error as Error).message}`],
    });
  } finally {
    const last = results.at(-1);
    if (last && last.violations.length + last.expectationFailures.length > 0)
      note(`${fault}: log tails\n${await current.logTails()}`);
    await current.destroy();
    current = undefined;
  }
  note(`${fault}: done in ${Math.round((Date.now() - started) / 1000)} s`);
}

const header = [
  'fault',
  'requests',
  'ok',
  'fail',
  'unknown',
  '503',
  'recovery s',
  'violations',
  'expectations',
];
const rows = results.map((r) => [
  r.fault,
  String(r.requests),
  String(r.ok),
  String(r.fail),
  String(r.unknown),
  String(r.unavailable),
  r.recoverySeconds === null ? '—' : r.recoverySeconds.toFixed(1),
  String(r.violations.length),
  r.expectationFailures.length === 0 ? 'met' : r.expectationFailures.join('; '),
]);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
for (const r of results) for (const v of r.violations) console.log(`${r.fault}: VIOLATION ${v}`);
console.log(`(${seconds} s of load per fault, ${patients} concurrent patients)`);
const bad = results.some((r) => r.violations.length + r.expectationFailures.length > 0);
process.exit(bad ? 1 : 0);
