import { sql } from 'kysely';
import { coverData, defaultPartition } from './machinery.ts';

const COLUMNS = sql.raw(
  'id, seq, occurred_at, actor_id, actor_role, action, entity, entity_id, request_id, ip, details, prev_hash, hash',
);

export const auditUp = sql`
  ALTER TABLE audit_logs RENAME TO audit_logs_unpartitioned;
  ALTER TABLE audit_logs_unpartitioned DROP CONSTRAINT audit_logs_pkey, DROP CONSTRAINT audit_logs_seq_key;
  DROP INDEX audit_logs_unsealed_idx, audit_logs_occurred_idx, audit_logs_entity_idx, audit_logs_actor_idx;

  CREATE TABLE audit_logs (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    seq bigint,
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
    CONSTRAINT audit_logs_pkey PRIMARY KEY (id, occurred_at),
    CONSTRAINT audit_logs_check CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
  ) PARTITION BY RANGE (occurred_at);
  -- The chain is walked in seq order (verify), whatever partition each row is in.
  CREATE INDEX audit_logs_seq_idx ON audit_logs (seq);
  -- The sealer's work queue: only unsealed rows, in the order it chains them.
  CREATE INDEX audit_logs_unsealed_idx ON audit_logs (occurred_at, id) WHERE seq IS NULL;
  CREATE INDEX audit_logs_occurred_idx ON audit_logs (occurred_at DESC, id DESC);
  CREATE INDEX audit_logs_entity_idx ON audit_logs (entity, entity_id);
  CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, occurred_at DESC);

  -- seq is unique across partitions (a unique index can't say so: it would have to include
  -- occurred_at). Rows arrive unsealed (audit_logs_guard); each statement that seals some checks
  -- their seqs are not taken, holding the sealer's advisory lock (audit/repo.ts) so that no other
  -- seal is in flight meanwhile.
  CREATE FUNCTION audit_logs_seq_unique() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE lo bigint; hi bigint; taken bigint;
  BEGIN
    SELECT min(seq), max(seq) INTO lo, hi FROM sealed;
    IF lo IS NULL THEN
      RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(7211642001);
    SELECT seq INTO taken FROM audit_logs WHERE seq BETWEEN lo AND hi GROUP BY seq HAVING count(*) > 1 LIMIT 1;
    IF taken IS NOT NULL THEN
      RAISE EXCEPTION 'audit_logs seq % is taken', taken USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER audit_logs_seq_unique AFTER UPDATE ON audit_logs REFERENCING NEW TABLE AS sealed
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_seq_unique();
  CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_guard();

  ${defaultPartition('audit_logs')}
  ${coverData('audit_logs', 'audit_logs_unpartitioned', 'occurred_at')}

  -- Sealed rows come over as they are, before the guard that admits only unsealed ones exists here.
  INSERT INTO audit_logs (${COLUMNS}) SELECT ${COLUMNS} FROM audit_logs_unpartitioned;
  DROP TABLE audit_logs_unpartitioned;
  CREATE TRIGGER audit_logs_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_guard();
`;

export const auditDown = sql`
  ALTER TABLE audit_logs RENAME TO audit_logs_partitioned;
  ALTER TABLE audit_logs_partitioned DROP CONSTRAINT audit_logs_pkey;
  DROP INDEX audit_logs_seq_idx, audit_logs_unsealed_idx, audit_logs_occurred_idx, audit_logs_entity_idx,
    audit_logs_actor_idx;

  CREATE TABLE audit_logs (
    id uuid CONSTRAINT audit_logs_pkey PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint CONSTRAINT audit_logs_seq_key UNIQUE,
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
    CONSTRAINT audit_logs_check CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
  );
  INSERT INTO audit_logs (${COLUMNS}) SELECT ${COLUMNS} FROM audit_logs_partitioned;
  CREATE INDEX audit_logs_unsealed_idx ON audit_logs (occurred_at, id) WHERE seq IS NULL;
  CREATE INDEX audit_logs_occurred_idx ON audit_logs (occurred_at DESC, id DESC);
  CREATE INDEX audit_logs_entity_idx ON audit_logs (entity, entity_id);
  CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_id, occurred_at DESC);
  CREATE TRIGGER audit_logs_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_guard();
  CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_guard();
  DROP TABLE audit_logs_partitioned;
  DROP FUNCTION audit_logs_seq_unique();
`;
