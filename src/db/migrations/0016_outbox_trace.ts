import { type Kysely, sql } from 'kysely';

/**
 * The trace an outbox row was written in (a W3C `traceparent`, null when tracing is off), so the job
 * the relay makes of it continues that trace. Nullable, no default: adding it rewrites no row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox ADD COLUMN trace text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE outbox DROP COLUMN trace`.execute(db);
}
