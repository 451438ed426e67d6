import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE appointments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      -- Historical (cancelled, expired) appointments may outlive a slot the doctor later removed.
      slot_id uuid REFERENCES slots(id) ON DELETE SET NULL,
      doctor_id uuid NOT NULL REFERENCES doctors(user_id),
      patient_id uuid NOT NULL REFERENCES users(id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      mode text NOT NULL CHECK (mode IN ('video', 'audio', 'chat')),
      reason text CHECK (length(reason) <= 2000),
      status text NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'in_progress', 'completed', 'cancelled', 'expired', 'no_show')),
      hold_expires_at timestamptz,
      fee_minor integer NOT NULL CHECK (fee_minor >= 0),
      currency text NOT NULL,
      cancelled_by text CHECK (cancelled_by IN ('patient', 'doctor', 'admin')),
      cancel_reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (status NOT IN ('pending_payment', 'confirmed', 'in_progress') OR slot_id IS NOT NULL),
      CHECK (status <> 'pending_payment' OR hold_expires_at IS NOT NULL),
      -- A patient never holds two active appointments that overlap in time.
      CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status IN ('pending_payment', 'confirmed', 'in_progress'))
    );
    -- Exactly one active appointment per slot, whatever the code does.
    CREATE UNIQUE INDEX appointments_one_active_per_slot ON appointments (slot_id)
      WHERE status IN ('pending_payment', 'confirmed', 'in_progress');
    CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at, id);
    CREATE INDEX appointments_doctor_idx ON appointments (doctor_id, starts_at, id);
    CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);
    CREATE INDEX appointments_holds_idx ON appointments (hold_expires_at) WHERE status = 'pending_payment';

    -- The state machine, enforced by the database too: only these status changes exist.
    CREATE FUNCTION appointments_transition_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'pending_payment' AND NEW.status IN ('confirmed', 'cancelled', 'expired')) OR
        (OLD.status = 'confirmed' AND NEW.status IN ('in_progress', 'cancelled', 'no_show')) OR
        (OLD.status = 'in_progress' AND NEW.status = 'completed')
      ) THEN
        RAISE EXCEPTION 'illegal appointment transition % -> %', OLD.status, NEW.status USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END
    $fn$;
    CREATE TRIGGER appointments_transition_guard BEFORE UPDATE ON appointments
      FOR EACH ROW EXECUTE FUNCTION appointments_transition_guard();

    CREATE TABLE payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      appointment_id uuid NOT NULL UNIQUE REFERENCES appointments(id),
      amount_minor integer NOT NULL CHECK (amount_minor > 0),
      currency text NOT NULL,
      provider text NOT NULL,
      status text NOT NULL CHECK (status IN ('created', 'pending', 'failed', 'captured', 'refund_pending', 'refunded')),
      provider_order_id text UNIQUE,
      provider_payment_id text,
      refund_amount_minor integer NOT NULL DEFAULT 0 CHECK (refund_amount_minor >= 0 AND refund_amount_minor <= amount_minor),
      provider_refund_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );

    -- Webhook deliveries already handled (providers deliver at least once).
    CREATE TABLE payment_events (
      provider text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (provider, event_id)
    );

    CREATE TABLE idempotency_keys (
      user_id uuid NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
      -- Who holds the key: a retry that takes over a lapsed lease gets a new token, and the old
      -- holder can then neither complete nor release it.
      lease_token uuid NOT NULL,
      locked_until timestamptz,
      response_status integer,
      response_type text,
      response_body text,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

    CREATE TABLE outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      topic text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      available_at timestamptz NOT NULL,
      sent_at timestamptz
    );
    CREATE INDEX outbox_pending_idx ON outbox (available_at, created_at) WHERE sent_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE outbox; DROP TABLE idempotency_keys; DROP TABLE payment_events; DROP TABLE payments;
    DROP TABLE appointments; DROP FUNCTION appointments_transition_guard();
  `.execute(db);
}
