import { type Kysely, sql } from 'kysely';

/**
 * This database's identity, made once with it: what lives outside the database about its data (the
 * audit chain's signed checkpoint, in Redis or DATA_DIR) is kept under it, so a database dropped and
 * created again starts a chain of its own instead of failing against the old one's checkpoint.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE install_identity (
      id uuid PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      one_row boolean NOT NULL DEFAULT true UNIQUE CHECK (one_row)
    );
    INSERT INTO install_identity (id) VALUES (gen_random_uuid());
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE install_identity`.execute(db);
}
