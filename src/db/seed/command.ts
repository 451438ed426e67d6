/** The `seed-load` CLI command: parses its arguments, runs seedLoad and says what it did. */
import { parseArgs } from 'node:util';
import type { Platform } from '../../platform/platform.ts';
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD, SeedRefused } from './accounts.ts';
import { type SeedLoadOptions, seedLoad } from './index.ts';

const SEED_USAGE =
  'seed-load --doctors N --patients M --days D [--appointments A [--history-days H]] [--seed S]\n' +
  '  days 1–90 ahead; A past appointments over H past days (default: enough for a 75 % full past); seed 42';

type Name = 'doctors' | 'patients' | 'days' | 'seed' | 'appointments' | 'history-days';

/** Returns the exit code. */
export async function seedLoadCommand(platform: Platform, args: string[]): Promise<number> {
  let values: Partial<Record<Name, string>> & { help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        doctors: { type: 'string' },
        patients: { type: 'string' },
        days: { type: 'string' },
        appointments: { type: 'string', default: '0' },
        'history-days': { type: 'string' },
        seed: { type: 'string', default: '42' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`seed-load: ${(error as Error).message}\n  ${SEED_USAGE}`);
    return 1;
  }
  if (values.help) {
    console.log(SEED_USAGE);
    return 0;
  }
  const number = (name: Name, min: number, max: number) => {
    const raw = values[name];
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new SeedRefused(`--${name} must be an integer from ${min} to ${max}\n  ${SEED_USAGE}`);
    }
    return n;
  };
  try {
    const options: SeedLoadOptions = {
      doctors: number('doctors', 0, 1_000_000),
      patients: number('patients', 0, 10_000_000),
      days: number('days', 1, 90),
      seed: number('seed', 0, 2 ** 32 - 1),
      appointments: number('appointments', 0, 100_000_000),
      ...(values['history-days'] === undefined ? {} : { historyDays: number('history-days', 1, 3_650) }),
    };
    const r = await seedLoad(platform, options);
    const n = (v: number) => v.toLocaleString('en');
    const past = r.appointments
      ? `, ${n(r.appointments)} past appointments over ${r.historyDays} days with ${n(r.auditRows)} audit rows ` +
        `(analytics rollups rebuilt in ${r.rollupSeconds.toFixed(1)} s)`
      : '';
    console.log(
      `seed-load: created ${n(r.doctors)} verified doctors (${n(r.schedules)} weekly schedules, ${n(r.slots)} open slots ` +
        `over ${options.days} days) and ${n(r.patients)} patients${past} in ${r.seconds.toFixed(1)} s ` +
        `(${r.mode === 'copy' ? 'COPY' : 'batched INSERT'}, seed ${options.seed}).\n` +
        `Accounts: doctor-…@${SEED_EMAIL_DOMAIN}, patient-…@${SEED_EMAIL_DOMAIN}; password "${SEED_PASSWORD}".`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SeedRefused) {
      console.error(`seed-load: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
