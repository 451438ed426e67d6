/** seed-load's help and options, apart from its code (command.ts) so the CLI answers --help without loading it. */
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD } from './accounts.ts';

export const SEED_LOAD_USAGE = `Usage: npm run cli -- seed-load --doctors N --patients M --days D [--appointments A [--history-days H]] [--seed S]
  Fills a database that has no seeded accounts with realistic data, fast (COPY on PostgreSQL,
  batched INSERTs embedded), for benchmarks and load tests; for a few accounts to click through,
  see seed-demo. Progress on stderr, a summary on stdout. Every account signs in with the password
  "${SEED_PASSWORD}" (doctor-00001@${SEED_EMAIL_DOMAIN}, patient-000001@${SEED_EMAIL_DOMAIN}, …).
  Options:
    --doctors N         verified doctors, each with a weekly schedule and its open slots
    --patients M        patients
    --days D            days of slots ahead, today included (1–90)
    --appointments A    a past of A consultations, with payments, refunds, reviews and a sealed
                        audit trail (default 0; needs a superuser connection)
    --history-days H    days of that past (default: enough for it to be about 75 % booked)
    --seed S            the random seed: names, fees, ids (default 42)`;

export const SEED_LOAD_OPTIONS = {
  doctors: { type: 'string' },
  patients: { type: 'string' },
  days: { type: 'string' },
  appointments: { type: 'string', default: '0' },
  'history-days': { type: 'string' },
  seed: { type: 'string', default: '42' },
} as const;
