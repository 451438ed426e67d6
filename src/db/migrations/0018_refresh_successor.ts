import { type Kysely, sql } from 'kysely';

/**
 * The refresh grace no longer needs a "used once" mark: a second presentation inside the grace gets
 * the same successor (derived from the token with a server key, sessions.ts), so nothing about the
 * grace is stored any more.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE refresh_tokens DROP COLUMN grace_used`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE refresh_tokens ADD COLUMN grace_used boolean NOT NULL DEFAULT false`.execute(db);
}
