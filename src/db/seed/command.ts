/** The `seed-load` CLI command: parses its arguments, runs seedLoad and says what it did. */
import { parseArgs } from 'node:util';
import { seeHelp } from '../../cli/usage.ts';
import type { Platform } from '../../platform/platform.ts';
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD, SeedRefused } from './accounts.ts';
import { type SeedLoadOptions, seedLoad } from './index.ts';
import { SEED_LOAD_OPTIONS } from './usage.ts';

type Name = keyof typeof SEED_LOAD_OPTIONS;

/** Returns the exit code: 1 when a value is out of range or the database can't take the seed. */
export async function seedLoadCommand(platform: Platform, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: SEED_LOAD_OPTIONS });
  const number = (name: Name, min: number, max: number) => {
    const raw = values[name];
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new SeedRefused(`--${name} must be an integer from ${min} to ${max}; ${seeHelp('seed-load')}`);
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
