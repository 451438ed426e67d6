import { type Kysely, sql } from 'kysely';

/**
 * Booking core, second pass: the rules the database answers for every path (bookable slot, lapsed
 * hold, anti-hoarding quota) as functions with one definition each; encrypted free text; answers
 * of idempotent requests written in the business transaction (no leases); refunds as rows with
 * their own state; the indexes the booking and payment paths look rows up by.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A hold has lapsed when it is unpaid and its time is up (at that instant or before).
    CREATE FUNCTION hold_lapsed(status text, hold_expires_at timestamptz, at timestamptz) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      AS $$ SELECT status = 'pending_payment' AND hold_expires_at <= at $$;

    -- A held slot carries the end of its hold (its appointment's hold_expires_at, written by the
    -- same statement), so whether a slot is bookable is a matter of the slot row alone.
    ALTER TABLE slots ADD COLUMN held_until timestamptz;
    UPDATE slots AS s SET held_until = a.hold_expires_at
      FROM appointments AS a WHERE a.slot_id = s.id AND a.status = 'pending_payment' AND s.status = 'held';
    UPDATE slots SET held_until = now() WHERE status = 'held' AND held_until IS NULL;
    ALTER TABLE slots ADD CONSTRAINT slots_held_until CHECK ((status = 'held') = (held_until IS NOT NULL));

    -- When a slot may be booked: an open slot until notice_minutes before its start; a held slot
    -- the same, but only from the instant its hold lapses (hold_lapsed, seen from the slot);
    -- booked or blocked, never. The caller adds "of a verified doctor".
    CREATE FUNCTION slot_bookable_during(status text, starts_at timestamptz, held_until timestamptz,
        notice_minutes integer) RETURNS tstzrange
      LANGUAGE sql STABLE PARALLEL SAFE
      AS $$ SELECT CASE
        WHEN status = 'open' THEN tstzrange(NULL, starts_at - notice_minutes * interval '1 minute')
        WHEN status = 'held' AND held_until < starts_at - notice_minutes * interval '1 minute'
          THEN tstzrange(held_until, starts_at - notice_minutes * interval '1 minute')
        ELSE 'empty'::tstzrange
      END $$;

    -- Anti-hoarding (OWASP API6): why this patient may not take one more slot of this doctor now,
    -- or NULL. The patient's bookings run one at a time from here to their commit (an advisory
    -- lock), and each query below reads with a fresh snapshot, so the counts are exact under any
    -- concurrency.
    CREATE FUNCTION booking_quota_refusal(p_patient uuid, p_doctor uuid, p_slot uuid, p_now timestamptz,
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

    -- hold_expires_at is the end of an unpaid hold: cleared when it is paid (a free booking never
    -- has one), moved to the instant the patient cancels it unpaid.
    UPDATE appointments SET hold_expires_at = NULL
      WHERE status IN ('confirmed', 'in_progress', 'completed', 'no_show');

    -- The earliest start the appointment ever had (a move keeps the earlier): refunds are judged
    -- on it, so no chain of reschedules turns a late cancellation into an early one.
    ALTER TABLE appointments ADD COLUMN booked_starts_at timestamptz;
    UPDATE appointments SET booked_starts_at = starts_at;
    ALTER TABLE appointments ALTER COLUMN booked_starts_at SET NOT NULL;
    -- Free text is PHI: reason and cancel_reason hold AES-256-GCM envelopes (platform/crypto,
    -- 'v1:…'). Text written before this migration can't be encrypted here (the key is not in the
    -- database): it is marked 'v0:' (plain) until re-encrypted, so no plain text is ever taken
    -- for an envelope, and new rows can only be envelopes.
    ALTER TABLE appointments DROP CONSTRAINT appointments_reason_check;
    UPDATE appointments SET reason = 'v0:' || reason WHERE reason IS NOT NULL;
    UPDATE appointments SET cancel_reason = 'v0:' || cancel_reason WHERE cancel_reason IS NOT NULL;
    ALTER TABLE appointments ADD CONSTRAINT appointments_reason_sealed
      CHECK (reason IS NULL OR reason LIKE 'v1:%' OR reason LIKE 'v0:%');
    ALTER TABLE appointments ADD CONSTRAINT appointments_cancel_reason_sealed
      CHECK (cancel_reason IS NULL OR cancel_reason LIKE 'v1:%' OR cancel_reason LIKE 'v0:%');
    CREATE INDEX appointments_slot_idx ON appointments (slot_id);

    -- Who pays: the payments module authorises its own routes without asking appointments.
    ALTER TABLE payments ADD COLUMN payer_id uuid REFERENCES users(id);
    UPDATE payments p SET payer_id = a.patient_id FROM appointments a WHERE a.id = p.appointment_id;
    ALTER TABLE payments ALTER COLUMN payer_id SET NOT NULL;
    CREATE INDEX payments_provider_payment_idx ON payments (provider_payment_id);

    -- Each refund of a captured gateway payment, with its own state: pending (to ask the gateway),
    -- requested (asked; the outcome may be unknown until looked up) or processed. A refund the
    -- gateway refuses goes back to pending and is asked again. A duplicate capture gets its own.
    -- asked_at: when a job's gateway call began; NULL once that call ended without an answer.
    CREATE TABLE refunds (
      id uuid PRIMARY KEY,
      payment_id uuid NOT NULL REFERENCES payments(id),
      provider_payment_id text NOT NULL UNIQUE,
      amount_minor integer NOT NULL CHECK (amount_minor > 0),
      currency text NOT NULL,
      reason text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'requested', 'processed')),
      provider_refund_id text UNIQUE,
      attempts integer NOT NULL DEFAULT 0,
      asked_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK ((status = 'processed') = (provider_refund_id IS NOT NULL))
    );
    CREATE INDEX refunds_payment_idx ON refunds (payment_id);
    CREATE INDEX refunds_open_idx ON refunds (updated_at) WHERE status <> 'processed';
    INSERT INTO refunds (id, payment_id, provider_payment_id, amount_minor, currency, reason, status,
                         provider_refund_id, created_at, updated_at)
      SELECT gen_random_uuid(), id, provider_payment_id, refund_amount_minor, currency, 'migrated',
             CASE WHEN status = 'refunded' THEN 'processed' ELSE 'pending' END,
             CASE WHEN status = 'refunded' THEN coalesce(nullif(provider_refund_id, 'requested'), 'migrated-' || id) END,
             updated_at, updated_at
      FROM payments WHERE status IN ('refund_pending', 'refunded') AND provider_payment_id IS NOT NULL;
    ALTER TABLE payments DROP COLUMN provider_refund_id;

    -- Answers are written in the business transaction, so no request ever holds a key without one:
    -- the lease columns go. A stored answer is a result (the rows the operation produced, rendered
    -- on every replay by the route that rendered it first) or a problem (problem+json, as sent).
    -- Keys live 24 h; answers stored in the old format are dropped rather than misread.
    DELETE FROM idempotency_keys;
    ALTER TABLE idempotency_keys DROP COLUMN state, DROP COLUMN lease_token, DROP COLUMN locked_until;
    ALTER TABLE idempotency_keys RENAME COLUMN response_type TO response_kind;
    ALTER TABLE idempotency_keys
      ALTER COLUMN response_status SET NOT NULL,
      ALTER COLUMN response_kind SET NOT NULL,
      ALTER COLUMN response_body SET NOT NULL,
      ADD CONSTRAINT idempotency_keys_kind CHECK (response_kind IN ('result', 'problem'));

    CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX refresh_tokens_user_idx;
    DELETE FROM idempotency_keys;
    ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_kind;
    ALTER TABLE idempotency_keys RENAME COLUMN response_kind TO response_type;
    ALTER TABLE idempotency_keys
      ALTER COLUMN response_status DROP NOT NULL,
      ALTER COLUMN response_type DROP NOT NULL,
      ALTER COLUMN response_body DROP NOT NULL,
      ADD COLUMN state text NOT NULL DEFAULT 'completed' CHECK (state IN ('in_progress', 'completed')),
      ADD COLUMN lease_token uuid NOT NULL DEFAULT gen_random_uuid(),
      ADD COLUMN locked_until timestamptz;
    ALTER TABLE payments ADD COLUMN provider_refund_id text;
    UPDATE payments p SET provider_refund_id = r.provider_refund_id FROM refunds r
      WHERE r.payment_id = p.id AND r.provider_payment_id = p.provider_payment_id;
    DROP TABLE refunds;
    DROP INDEX payments_provider_payment_idx;
    ALTER TABLE payments DROP COLUMN payer_id;
    DROP INDEX appointments_slot_idx;
    ALTER TABLE appointments DROP CONSTRAINT appointments_cancel_reason_sealed;
    ALTER TABLE appointments DROP CONSTRAINT appointments_reason_sealed;
    UPDATE appointments SET reason = substr(reason, 4) WHERE reason LIKE 'v0:%';
    UPDATE appointments SET cancel_reason = substr(cancel_reason, 4) WHERE cancel_reason LIKE 'v0:%';
    ALTER TABLE appointments ADD CONSTRAINT appointments_reason_check CHECK (length(reason) <= 2000) NOT VALID;
    ALTER TABLE appointments DROP COLUMN booked_starts_at;
    DROP FUNCTION booking_quota_refusal(uuid, uuid, uuid, timestamptz, integer, integer, interval);
    DROP FUNCTION slot_bookable_during(text, timestamptz, timestamptz, integer);
    ALTER TABLE slots DROP CONSTRAINT slots_held_until;
    ALTER TABLE slots DROP COLUMN held_until;
    DROP FUNCTION hold_lapsed(text, timestamptz, timestamptz);
  `.execute(db);
}
