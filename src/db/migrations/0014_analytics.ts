import { type Kysely, sql } from 'kysely';

/**
 * Analytics rollups (issue 10, item 2): what admins read, kept small enough to read at millions of
 * appointments. modules/analytics/ explains the design; here are the tables and the triggers.
 *
 * - Rollup rows are sums of the raw rows whose start falls in their bucket: per doctor at three
 *   grains (UTC quarter-hour, UTC day, UTC month: a range in any time zone is a few months, some
 *   days and the quarter-hours at its edges, since every zone's midnight is on a quarter-hour),
 *   and for all doctors per quarter-hour (the overview's days, cut in any zone).
 * - `analytics_dirty` lists the (doctor, UTC day)s whose raw rows changed; a NULL doctor: the
 *   patients who signed up that day. Statement-level triggers write it in the writer's transaction,
 *   so no change is ever missed; the refresher (one at a time) recomputes what it lists.
 * - Existing data is listed as dirty here, so the refresher builds the rollups after the upgrade.
 */
const MEASURES = `
  slots_offered int NOT NULL DEFAULT 0,
  slots_booked int NOT NULL DEFAULT 0,
  pending_payment int NOT NULL DEFAULT 0,
  confirmed int NOT NULL DEFAULT 0,
  in_progress int NOT NULL DEFAULT 0,
  completed int NOT NULL DEFAULT 0,
  cancelled int NOT NULL DEFAULT 0,
  expired int NOT NULL DEFAULT 0,
  no_show int NOT NULL DEFAULT 0,
  cancelled_paid int NOT NULL DEFAULT 0,
  captured_minor bigint NOT NULL DEFAULT 0,
  refunded_minor bigint NOT NULL DEFAULT 0,
  lead_seconds bigint NOT NULL DEFAULT 0`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
    CREATE TABLE analytics_dirty (doctor_id uuid, day timestamptz NOT NULL);

    CREATE TABLE analytics_doctor_qh (doctor_id uuid NOT NULL, bucket timestamptz NOT NULL,
      currency text NOT NULL, ${MEASURES}, PRIMARY KEY (doctor_id, bucket, currency));
    CREATE TABLE analytics_doctor_day (doctor_id uuid NOT NULL, bucket timestamptz NOT NULL,
      currency text NOT NULL, ${MEASURES}, PRIMARY KEY (doctor_id, bucket, currency));
    CREATE TABLE analytics_doctor_month (doctor_id uuid NOT NULL, bucket timestamptz NOT NULL,
      currency text NOT NULL, ${MEASURES}, PRIMARY KEY (doctor_id, bucket, currency));
    CREATE TABLE analytics_qh (bucket timestamptz NOT NULL, currency text NOT NULL, ${MEASURES},
      PRIMARY KEY (bucket, currency));
    -- GET /admin/analytics/doctors reads each grain by time for every doctor.
    CREATE INDEX analytics_doctor_qh_bucket_idx ON analytics_doctor_qh (bucket);
    CREATE INDEX analytics_doctor_day_bucket_idx ON analytics_doctor_day (bucket);
    CREATE INDEX analytics_doctor_month_bucket_idx ON analytics_doctor_month (bucket);
    CREATE TABLE analytics_signups (bucket timestamptz PRIMARY KEY, patients int NOT NULL);

    -- The UTC day of an instant.
    CREATE FUNCTION analytics_day(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN date_bin('1 day', t, timestamptz '2000-01-01 00:00:00+00');

    -- appointments and slots: the doctor and day of every row inserted, deleted or updated (both
    -- the day it left and the day it went to).
    CREATE FUNCTION analytics_mark_rows() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day) SELECT DISTINCT doctor_id, analytics_day(starts_at) FROM changed;
      RETURN NULL;
    END $fn$;
    CREATE FUNCTION analytics_mark_updates() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day)
        SELECT doctor_id, analytics_day(starts_at) FROM changed
        UNION SELECT doctor_id, analytics_day(starts_at) FROM before;
      RETURN NULL;
    END $fn$;
    -- payments: their appointment's doctor and day.
    CREATE FUNCTION analytics_mark_payments() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day)
        SELECT DISTINCT a.doctor_id, analytics_day(a.starts_at)
        FROM changed p
        JOIN appointment_ids i ON i.id = p.appointment_id
        JOIN appointments a ON a.id = i.id AND a.starts_at = i.starts_at;
      RETURN NULL;
    END $fn$;
    -- users: the day a patient signed up.
    CREATE FUNCTION analytics_mark_signups() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day)
        SELECT DISTINCT NULL::uuid, analytics_day(created_at) FROM changed WHERE role = 'patient';
      RETURN NULL;
    END $fn$;
  `)
    .execute(db);
  for (const table of ['appointments', 'slots']) {
    await sql
      .raw(`
      CREATE TRIGGER ${table}_analytics_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_rows();
      CREATE TRIGGER ${table}_analytics_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_rows();
      CREATE TRIGGER ${table}_analytics_update AFTER UPDATE ON ${table}
        REFERENCING NEW TABLE AS changed OLD TABLE AS before
        FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_updates();
    `)
      .execute(db);
  }
  await sql`
    CREATE TRIGGER payments_analytics_insert AFTER INSERT ON payments REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_payments();
    CREATE TRIGGER payments_analytics_update AFTER UPDATE ON payments REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_payments();
    CREATE TRIGGER users_analytics_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_signups();
    -- Partitions carry their table's statement triggers (0011): the ones made from now on get these
    -- when made, the existing ones here.
    SELECT partition_copy_statement_triggers('appointments', inhrelid::regclass)
      FROM pg_inherits WHERE inhparent = 'appointments'::regclass;

    INSERT INTO analytics_dirty (doctor_id, day)
      SELECT doctor_id, analytics_day(starts_at) FROM appointments
      UNION SELECT doctor_id, analytics_day(starts_at) FROM slots
      UNION SELECT NULL, analytics_day(created_at) FROM users WHERE role = 'patient';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER users_analytics_insert ON users;
    DROP TRIGGER payments_analytics_update ON payments;
    DROP TRIGGER payments_analytics_insert ON payments;
    DROP TRIGGER slots_analytics_update ON slots;
    DROP TRIGGER slots_analytics_delete ON slots;
    DROP TRIGGER slots_analytics_insert ON slots;
    DROP TRIGGER appointments_analytics_update ON appointments;
    DROP TRIGGER appointments_analytics_delete ON appointments;
    DROP TRIGGER appointments_analytics_insert ON appointments;
    -- With the copies on partitions, attached or archived.
    DROP FUNCTION analytics_mark_signups();
    DROP FUNCTION analytics_mark_payments();
    DROP FUNCTION analytics_mark_updates() CASCADE;
    DROP FUNCTION analytics_mark_rows() CASCADE;
    DROP FUNCTION analytics_day(timestamptz);
    DROP TABLE analytics_signups, analytics_qh, analytics_doctor_month, analytics_doctor_day,
      analytics_doctor_qh, analytics_dirty;
  `.execute(db);
}
