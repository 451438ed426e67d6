import { sql } from 'kysely';

/**
 * The database functions that read or change appointments, rewritten so each reads one month
 * partition: a statement on the partitioned table planned without its start in hand opens (and
 * locks) every partition. Active appointments are read from patient_commitments instead; a row by
 * id is found at the start appointment_ids gives; PL/pgSQL plans each call with its values, so a
 * start passed in a variable picks the partition before the plan is made.
 */
export const readersUp = sql`
  -- The UPDATE half of holds.ts's expireSql: the lapsed holds among (ids, starts) become expired.
  CREATE FUNCTION appointments_expire_holds(ids uuid[], starts timestamptz[], at timestamptz)
    RETURNS TABLE (id uuid, slot_id uuid, doctor_id uuid) LANGUAGE plpgsql AS $$
  #variable_conflict use_column
  BEGIN
    RETURN QUERY UPDATE appointments AS a SET status = 'expired', updated_at = at
      WHERE a.id = ANY(ids) AND a.starts_at = ANY(starts) AND hold_lapsed(a.status, a.hold_expires_at, at)
      RETURNING a.id, a.slot_id, a.doctor_id;
  END $$;

  CREATE OR REPLACE FUNCTION booking_quota_refusal(p_patient uuid, p_doctor uuid, p_slot uuid, p_now timestamptz,
      p_max_unpaid integer, p_max_upcoming_with_doctor integer, p_relapse_cooldown interval) RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
  DECLARE slot_start timestamptz;
  BEGIN
    PERFORM pg_advisory_xact_lock(2, hashtext(p_patient::text));
    IF EXISTS (SELECT 1 FROM patient_commitments WHERE patient_id = p_patient AND doctor_id = p_doctor
               AND status = 'pending_payment' AND NOT hold_lapsed(status, hold_expires_at, p_now)) THEN
      RETURN 'UNPAID_WITH_DOCTOR';
    END IF;
    IF (SELECT count(*) FROM patient_commitments WHERE patient_id = p_patient
        AND status = 'pending_payment' AND NOT hold_lapsed(status, hold_expires_at, p_now)) >= p_max_unpaid THEN
      RETURN 'TOO_MANY_HOLDS';
    END IF;
    IF (SELECT count(*) FROM patient_commitments WHERE patient_id = p_patient AND doctor_id = p_doctor
        AND status IN ('pending_payment', 'confirmed') AND lower(during) > p_now
        AND NOT hold_lapsed(status, hold_expires_at, p_now)) >= p_max_upcoming_with_doctor THEN
      RETURN 'TOO_MANY_UPCOMING';
    END IF;
    -- An appointment on a slot starts when the slot does: the slot's start is its partition.
    slot_start := (SELECT starts_at FROM slots WHERE id = p_slot);
    IF EXISTS (SELECT 1 FROM appointments WHERE patient_id = p_patient AND slot_id = p_slot
               AND starts_at = slot_start
               AND hold_expires_at <= p_now AND hold_expires_at > p_now - p_relapse_cooldown
               AND (status IN ('pending_payment', 'expired')
                    OR (status = 'cancelled' AND cancelled_by = 'patient'))) THEN
      RETURN 'RELAPSE_COOLDOWN';
    END IF;
    RETURN NULL;
  END $$;

  CREATE OR REPLACE FUNCTION reviews_check() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE starts timestamptz := (SELECT starts_at FROM appointment_ids WHERE id = NEW.appointment_id);
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM appointments AS a WHERE a.id = NEW.appointment_id AND a.starts_at = starts
        AND a.status = 'completed' AND a.patient_id = NEW.patient_id AND a.doctor_id = NEW.doctor_id) THEN
      RAISE EXCEPTION 'a review needs a completed appointment of its patient and doctor'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'reviews_completed_appointment';
    END IF;
    UPDATE doctors
      SET rating_sum = rating_sum + NEW.rating, rating_count = rating_count + 1,
          rating_avg = round((rating_sum + NEW.rating)::numeric / (rating_count + 1), 2)
      WHERE user_id = NEW.doctor_id;
    RETURN NEW;
  END $$;
`;

/** The definitions of migrations 0004 and 0009, as they were. */
export const readersDown = sql`
  DROP FUNCTION appointments_expire_holds(uuid[], timestamptz[], timestamptz);

  CREATE OR REPLACE FUNCTION booking_quota_refusal(p_patient uuid, p_doctor uuid, p_slot uuid, p_now timestamptz,
        p_max_unpaid integer, p_max_upcoming_with_doctor integer, p_relapse_cooldown interval) RETURNS text
      LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(2, hashtext(p_patient::text));
      IF EXISTS (SELECT 1 FROM appointments WHERE patient_id = p_patient AND doctor_id = p_doctor
                 AND status = 'pending_payment' AND NOT hold_lapsed(status, hold_expires_at, p_now)) THEN
        RETURN 'UNPAID_WITH_DOCTOR';
      END IF;
      IF (SELECT count(*) FROM appointments WHERE patient_id = p_patient
          AND status = 'pending_payment' AND NOT hold_lapsed(status, hold_expires_at, p_now)) >= p_max_unpaid THEN
        RETURN 'TOO_MANY_HOLDS';
      END IF;
      IF (SELECT count(*) FROM appointments WHERE patient_id = p_patient AND doctor_id = p_doctor
          AND status IN ('pending_payment', 'confirmed') AND starts_at > p_now
          AND NOT hold_lapsed(status, hold_expires_at, p_now)) >= p_max_upcoming_with_doctor THEN
        RETURN 'TOO_MANY_UPCOMING';
      END IF;
      -- This slot's hold ended unpaid a moment ago, by lapse (expired or not yet) or by the patient
      -- cancelling it: hold_expires_at is when it ended (see below).
      IF EXISTS (SELECT 1 FROM appointments WHERE patient_id = p_patient AND slot_id = p_slot
                 AND hold_expires_at <= p_now AND hold_expires_at > p_now - p_relapse_cooldown
                 AND (status IN ('pending_payment', 'expired')
                      OR (status = 'cancelled' AND cancelled_by = 'patient'))) THEN
        RETURN 'RELAPSE_COOLDOWN';
      END IF;
      RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION reviews_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM appointments AS a WHERE a.id = NEW.appointment_id
          AND a.status = 'completed' AND a.patient_id = NEW.patient_id AND a.doctor_id = NEW.doctor_id) THEN
        RAISE EXCEPTION 'a review needs a completed appointment of its patient and doctor'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'reviews_completed_appointment';
      END IF;
      UPDATE doctors
        SET rating_sum = rating_sum + NEW.rating, rating_count = rating_count + 1,
            rating_avg = round((rating_sum + NEW.rating)::numeric / (rating_count + 1), 2)
        WHERE user_id = NEW.doctor_id;
      RETURN NEW;
    END $$;
`;
