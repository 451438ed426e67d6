import { type Kysely, sql } from 'kysely';

/**
 * Analytics marks that cost a booking nothing it doesn't change (0014's statement triggers cost
 * bookings about a quarter of their throughput: three trigger calls, each with a transition table
 * and a DISTINCT, for one row).
 *
 * - appointments: row triggers on insert, delete and on an update of what a rollup reads (status,
 *   start, doctor, currency, created_at). A move to another month's partition is a delete and an
 *   insert, so both days are marked. Row triggers on a partitioned table reach every partition,
 *   made now or later; the statement triggers' copies on attached partitions go.
 * - slots: an update is marked only when it changes what a rollup reads: start, doctor, or a status
 *   to or from `booked` or `blocked` (a hold, open → held, changes no figure). Inserts and deletes
 *   stay statement triggers: slots come and go by the thousand (schedules, the horizon job).
 * - payments: marked only when a paid payment (captured, refund_pending, refunded) is made, stops
 *   being paid, or its amounts change; a new unpaid payment changes no figure.
 */
const PAID = `('captured', 'refund_pending', 'refunded')`;
const STATEMENT_TRIGGERS = `'appointments_analytics_insert', 'appointments_analytics_delete', 'appointments_analytics_update'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
    CREATE FUNCTION analytics_mark_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        INSERT INTO analytics_dirty (doctor_id, day) VALUES (OLD.doctor_id, analytics_day(OLD.starts_at));
      END IF;
      IF TG_OP <> 'DELETE' THEN
        INSERT INTO analytics_dirty (doctor_id, day) VALUES (NEW.doctor_id, analytics_day(NEW.starts_at));
      END IF;
      RETURN NULL;
    END $fn$;
    CREATE FUNCTION analytics_mark_payment() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day)
        SELECT a.doctor_id, analytics_day(a.starts_at)
        FROM appointment_ids i JOIN appointments a ON a.id = i.id AND a.starts_at = i.starts_at
        WHERE i.id IN (NEW.appointment_id, OLD.appointment_id); -- OLD is NULL on insert
      RETURN NULL;
    END $fn$;

    DO $do$
    DECLARE t record;
    BEGIN
      -- On the table and its attached partitions; archived months (detached, never written) keep
      -- theirs, as down() leaves them.
      FOR t IN SELECT tgname, tgrelid::regclass AS rel FROM pg_trigger
               WHERE tgname IN (${STATEMENT_TRIGGERS}) AND NOT tgisinternal
                 AND (tgrelid = 'appointments'::regclass
                      OR tgrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'appointments'::regclass)) LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
      END LOOP;
    END $do$;
    CREATE TRIGGER appointments_analytics_row AFTER INSERT OR DELETE ON appointments
      FOR EACH ROW EXECUTE FUNCTION analytics_mark_row();
    CREATE TRIGGER appointments_analytics_row_update AFTER UPDATE ON appointments FOR EACH ROW
      WHEN ((OLD.status, OLD.starts_at, OLD.doctor_id, OLD.currency, OLD.created_at)
            IS DISTINCT FROM (NEW.status, NEW.starts_at, NEW.doctor_id, NEW.currency, NEW.created_at))
      EXECUTE FUNCTION analytics_mark_row();

    DROP TRIGGER slots_analytics_update ON slots;
    CREATE TRIGGER slots_analytics_row_update AFTER UPDATE ON slots FOR EACH ROW
      WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.doctor_id IS DISTINCT FROM NEW.doctor_id
            OR (OLD.status IS DISTINCT FROM NEW.status
                AND (OLD.status IN ('booked', 'blocked') OR NEW.status IN ('booked', 'blocked'))))
      EXECUTE FUNCTION analytics_mark_row();

    DROP TRIGGER payments_analytics_insert ON payments;
    DROP TRIGGER payments_analytics_update ON payments;
    DROP FUNCTION analytics_mark_payments();
    CREATE TRIGGER payments_analytics_row_insert AFTER INSERT ON payments FOR EACH ROW
      WHEN (NEW.status IN ${PAID}) EXECUTE FUNCTION analytics_mark_payment();
    CREATE TRIGGER payments_analytics_row_update AFTER UPDATE ON payments FOR EACH ROW
      WHEN ((OLD.status IN ${PAID} OR NEW.status IN ${PAID})
            AND (OLD.status, OLD.amount_minor, OLD.refund_amount_minor, OLD.appointment_id)
                IS DISTINCT FROM (NEW.status, NEW.amount_minor, NEW.refund_amount_minor, NEW.appointment_id))
      EXECUTE FUNCTION analytics_mark_payment();
  `)
    .execute(db);
}

/** Back to 0014's statement triggers (and their copies on the attached partitions). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER payments_analytics_row_update ON payments;
    DROP TRIGGER payments_analytics_row_insert ON payments;
    DROP TRIGGER slots_analytics_row_update ON slots;
    DROP TRIGGER appointments_analytics_row_update ON appointments;
    DROP TRIGGER appointments_analytics_row ON appointments;
    DROP FUNCTION analytics_mark_payment();
    DROP FUNCTION analytics_mark_row();
    CREATE FUNCTION analytics_mark_payments() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO analytics_dirty (doctor_id, day)
        SELECT DISTINCT a.doctor_id, analytics_day(a.starts_at)
        FROM changed p
        JOIN appointment_ids i ON i.id = p.appointment_id
        JOIN appointments a ON a.id = i.id AND a.starts_at = i.starts_at;
      RETURN NULL;
    END $fn$;
    CREATE TRIGGER payments_analytics_insert AFTER INSERT ON payments REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_payments();
    CREATE TRIGGER payments_analytics_update AFTER UPDATE ON payments REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_payments();
    CREATE TRIGGER slots_analytics_update AFTER UPDATE ON slots
      REFERENCING NEW TABLE AS changed OLD TABLE AS before
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_updates();
    CREATE TRIGGER appointments_analytics_insert AFTER INSERT ON appointments REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_rows();
    CREATE TRIGGER appointments_analytics_delete AFTER DELETE ON appointments REFERENCING OLD TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_rows();
    CREATE TRIGGER appointments_analytics_update AFTER UPDATE ON appointments
      REFERENCING NEW TABLE AS changed OLD TABLE AS before
      FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_updates();
    SELECT partition_copy_statement_triggers('appointments', inhrelid::regclass)
      FROM pg_inherits WHERE inhparent = 'appointments'::regclass;
  `.execute(db);
}
