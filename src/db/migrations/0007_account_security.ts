import { type Kysely, sql } from 'kysely';

/**
 * Account security (issue 8, items 11 and 12): the user's language, password-reset tokens, the
 * indexes that revoking sessions everywhere reads, and the payments list's keyset indexes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The language of what we send a user (e-mails); the web app reads it too.
    ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'hi'));

    -- Only a token's SHA-256 is kept: the mail carries the token, the database can't replay it.
    CREATE TABLE password_reset_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX password_reset_tokens_outstanding_idx ON password_reset_tokens (user_id)
      WHERE used_at IS NULL;

    -- A user's sessions that may still have live access tokens (rows created within the access TTL);
    -- it serves what the (user_id) index did.
    CREATE INDEX refresh_tokens_user_created_idx ON refresh_tokens (user_id, created_at);
    DROP INDEX refresh_tokens_user_idx;
    -- Every instance reloads the revoked sessions whose access tokens may be alive from here: revoked
    -- rows by creation time (revoking an old session stamps its whole history; reloads skip it).
    CREATE INDEX refresh_tokens_recent_revoked_idx ON refresh_tokens (created_at)
      INCLUDE (family_id, revoked_at) WHERE revoked_at IS NOT NULL;

    -- GET /payments: newest first, a payer's own or (admins) everyone's.
    CREATE INDEX payments_payer_created_idx ON payments (payer_id, created_at DESC, id DESC);
    CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX payments_created_idx;
    DROP INDEX payments_payer_created_idx;
    DROP INDEX refresh_tokens_recent_revoked_idx;
    CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
    DROP INDEX refresh_tokens_user_created_idx;
    DROP TABLE password_reset_tokens;
    ALTER TABLE users DROP COLUMN locale;
  `.execute(db);
}
