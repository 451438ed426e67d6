import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE EXTENSION IF NOT EXISTS pg_trgm;

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email citext NOT NULL UNIQUE CHECK (length(email) <= 254),
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('patient', 'doctor', 'admin')),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      phone text,
      mfa_enabled boolean NOT NULL DEFAULT false,
      mfa_secret text,
      mfa_pending_secret text,
      mfa_last_step bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (NOT mfa_enabled OR mfa_secret IS NOT NULL)
    );
    CREATE INDEX users_role_created_idx ON users (role, created_at, id);

    CREATE TABLE recovery_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      used_at timestamptz,
      UNIQUE (user_id, code_hash)
    );

    CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      family_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      mfa boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      rotated_at timestamptz,
      -- A rotated token may be presented once more within the grace period (two tabs racing).
      grace_used boolean NOT NULL DEFAULT false,
      revoked_at timestamptz
    );
    CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
    CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
  `.execute(db);

  await sql`
    CREATE TABLE audit_logs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      seq bigint UNIQUE,
      occurred_at timestamptz NOT NULL,
      actor_id uuid,
      actor_role text,
      action text NOT NULL,
      entity text NOT NULL,
      entity_id text,
      request_id text,
      ip text,
      details jsonb NOT NULL DEFAULT '{}',
      prev_hash text,
      hash text,
      CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
    );
    -- The sealer's work queue: only unsealed rows, in the order it chains them.
    CREATE INDEX audit_logs_unsealed_idx ON audit_logs (occurred_at, id) WHERE seq IS NULL;
    CREATE INDEX audit_logs_occurred_idx ON audit_logs (occurred_at DESC, id DESC);
    CREATE INDEX audit_logs_entity_idx ON audit_logs (entity, entity_id);
    CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, occurred_at DESC);

    -- Append-only: rows arrive unsealed; the only UPDATE ever allowed is the sealer filling the
    -- chain fields of an unsealed row once, with every other column unchanged.
    CREATE FUNCTION audit_logs_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL THEN
          RAISE EXCEPTION 'audit_logs rows are inserted unsealed' USING ERRCODE = 'P0001';
        END IF;
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE'
         AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
         AND ROW(NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_role, NEW.action, NEW.entity,
                 NEW.entity_id, NEW.request_id, NEW.ip, NEW.details)
             IS NOT DISTINCT FROM
             ROW(OLD.id, OLD.occurred_at, OLD.actor_id, OLD.actor_role, OLD.action, OLD.entity,
                 OLD.entity_id, OLD.request_id, OLD.ip, OLD.details) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_logs is append-only: % rejected', TG_OP USING ERRCODE = 'P0001';
    END
    $fn$;
    CREATE TRIGGER audit_logs_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_logs
      FOR EACH ROW EXECUTE FUNCTION audit_logs_guard();
    CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
      FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_guard();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE audit_logs;
    DROP FUNCTION audit_logs_guard();
    DROP TABLE refresh_tokens;
    DROP TABLE recovery_codes;
    DROP TABLE users;
  `.execute(db);
}
