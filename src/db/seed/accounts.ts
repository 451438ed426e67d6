/**
 * What marks seeded data: every seeded account's e-mail is at SEED_EMAIL_DOMAIN and logs in with
 * SEED_PASSWORD. seed-load only fills a database with no such account (it is not idempotent), and
 * says so with SeedRefused, which the CLI prints as a one-line message rather than a stack trace.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';

export const SEED_PASSWORD = 'amrutam-seed-password';
export const SEED_EMAIL_DOMAIN = 'seed.amrutam.test';

export class SeedRefused extends Error {}

/** Refuses a database that already has seeded accounts. */
export async function assertNotSeeded(db: Db): Promise<void> {
  const existing = await db
    .selectFrom('users')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('email', 'like', `%@${SEED_EMAIL_DOMAIN}`)
    .executeTakeFirstOrThrow();
  if (existing.n > 0) {
    throw new SeedRefused(
      `The database already has ${existing.n.toLocaleString('en')} seeded accounts (@${SEED_EMAIL_DOMAIN}); ` +
        'seed-load only fills a database that has none (use a fresh database)',
    );
  }
}
