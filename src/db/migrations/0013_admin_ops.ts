import { type Kysely, sql } from 'kysely';

/**
 * Admin operations (issue 10, item 1): suspended accounts, and the indexes of the admins' user list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Every suspension an admin made, and its lifting: the rows in force (not lifted) are the
    -- suspended accounts every instance keeps in memory (modules/auth/revocations.ts).
    CREATE TABLE user_suspensions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      suspended_by uuid NOT NULL REFERENCES users(id),
      suspended_at timestamptz NOT NULL,
      lifted_by uuid REFERENCES users(id),
      lifted_at timestamptz,
      -- Nobody locks themselves out (the last admin could not be brought back by the API).
      CONSTRAINT user_suspensions_not_self CHECK (suspended_by <> user_id),
      CHECK ((lifted_at IS NULL) = (lifted_by IS NULL)),
      CHECK (lifted_at IS NULL OR lifted_at >= suspended_at)
    );
    -- At most one suspension in force per account; the suspended set is read from this index.
    CREATE UNIQUE INDEX user_suspensions_in_force_idx ON user_suspensions (user_id) WHERE lifted_at IS NULL;

    -- No session starts for a suspended account (login, MFA, refresh). A session started by a
    -- sign-in that raced the suspension's commit is ended when the suspension is lifted.
    CREATE FUNCTION refresh_tokens_refuse_suspended() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF EXISTS (SELECT 1 FROM user_suspensions WHERE user_id = NEW.user_id AND lifted_at IS NULL) THEN
        RAISE EXCEPTION 'the account is suspended: no session starts for it'
          USING ERRCODE = 'P0001', CONSTRAINT = 'account_suspended';
      END IF;
      RETURN NEW;
    END
    $fn$;
    CREATE TRIGGER refresh_tokens_no_suspended BEFORE INSERT ON refresh_tokens
      FOR EACH ROW EXECUTE FUNCTION refresh_tokens_refuse_suspended();

    -- GET /admin/users: newest first (users_role_created_idx serves one role), and name or e-mail
    -- prefixes whatever their case.
    CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);
    CREATE INDEX users_name_prefix_idx ON users (lower(name) text_pattern_ops);
    CREATE INDEX users_email_prefix_idx ON users (lower(email::text) text_pattern_ops);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX users_email_prefix_idx;
    DROP INDEX users_name_prefix_idx;
    DROP INDEX users_created_idx;
    DROP TRIGGER refresh_tokens_no_suspended ON refresh_tokens;
    DROP FUNCTION refresh_tokens_refuse_suspended();
    DROP TABLE user_suspensions;
  `.execute(db);
}
