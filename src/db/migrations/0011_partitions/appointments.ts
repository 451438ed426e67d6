import { sql } from 'kysely';
import { coverData, defaultPartition } from './machinery.ts';

/** The tables whose rows name an appointment (their foreign keys move to appointment_ids and back). */
const CHILDREN = ['payments', 'reviews', 'clinical_notes', 'prescriptions', 'notification_reminders'];

const childKeys = (target: string) =>
  sql.join(
    CHILDREN.map(
      (t) => sql`ALTER TABLE ${sql.id(t)} ADD CONSTRAINT ${sql.id(`${t}_appointment_id_fkey`)}
        FOREIGN KEY (appointment_id) REFERENCES ${sql.raw(target)};`,
    ),
    sql`\n`,
  );
const dropChildKeys = sql.join(
  CHILDREN.map((t) => sql`ALTER TABLE ${sql.id(t)} DROP CONSTRAINT ${sql.id(`${t}_appointment_id_fkey`)};`),
  sql`\n`,
);

const ACTIVE = sql.raw(`('pending_payment', 'confirmed', 'in_progress')`);
const COLUMNS =
  sql.raw(`id, slot_id, doctor_id, patient_id, starts_at, ends_at, mode, reason, status, hold_expires_at,
  fee_minor, currency, cancelled_by, cancel_reason, created_at, updated_at, booked_starts_at, completed_at`);

export const appointmentsUp = sql`
  ${dropChildKeys}
  ALTER TABLE appointments RENAME TO appointments_unpartitioned;
  ALTER TABLE appointments_unpartitioned DROP CONSTRAINT appointments_pkey,
    DROP CONSTRAINT appointments_patient_no_overlap;
  DROP INDEX appointments_one_active_per_slot, appointments_patient_idx, appointments_doctor_idx,
    appointments_starts_idx, appointments_holds_idx, appointments_slot_idx;

  -- Every appointment's id, and its start: the month partition its row is in. Its key is what
  -- other tables reference; the composite foreign key below makes it exact (each id names one row).
  CREATE TABLE appointment_ids (
    id uuid PRIMARY KEY,
    starts_at timestamptz NOT NULL,
    CONSTRAINT appointment_ids_row UNIQUE (id, starts_at)
  );

  CREATE TABLE appointments (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    slot_id uuid CONSTRAINT appointments_slot_id_fkey REFERENCES slots(id) ON DELETE SET NULL,
    doctor_id uuid NOT NULL CONSTRAINT appointments_doctor_id_fkey REFERENCES doctors(user_id),
    patient_id uuid NOT NULL CONSTRAINT appointments_patient_id_fkey REFERENCES users(id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    mode text NOT NULL CONSTRAINT appointments_mode_check CHECK (mode IN ('video', 'audio', 'chat')),
    reason text CONSTRAINT appointments_reason_sealed CHECK (reason IS NULL OR reason LIKE 'v1:%' OR reason LIKE 'v0:%'),
    status text NOT NULL CONSTRAINT appointments_status_check
      CHECK (status IN ('pending_payment', 'confirmed', 'in_progress', 'completed', 'cancelled', 'expired', 'no_show')),
    hold_expires_at timestamptz,
    fee_minor integer NOT NULL CONSTRAINT appointments_fee_minor_check CHECK (fee_minor >= 0),
    currency text NOT NULL,
    cancelled_by text CONSTRAINT appointments_cancelled_by_check CHECK (cancelled_by IN ('patient', 'doctor', 'admin')),
    cancel_reason text CONSTRAINT appointments_cancel_reason_sealed
      CHECK (cancel_reason IS NULL OR cancel_reason LIKE 'v1:%' OR cancel_reason LIKE 'v0:%'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    booked_starts_at timestamptz NOT NULL,
    completed_at timestamptz,
    CONSTRAINT appointments_pkey PRIMARY KEY (id, starts_at),
    -- Checked at commit: a reschedule moves the row and its appointment_ids entry in one statement,
    -- one of them first.
    CONSTRAINT appointments_id_fkey FOREIGN KEY (id, starts_at) REFERENCES appointment_ids (id, starts_at)
      DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT appointments_check CHECK (status NOT IN ${ACTIVE} OR slot_id IS NOT NULL),
    CONSTRAINT appointments_check1 CHECK (status <> 'pending_payment' OR hold_expires_at IS NOT NULL),
    CONSTRAINT appointments_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL))
  ) PARTITION BY RANGE (starts_at);
  CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at, id);
  CREATE INDEX appointments_doctor_idx ON appointments (doctor_id, starts_at, id);
  CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);
  CREATE INDEX appointments_slot_idx ON appointments (slot_id);

  -- One row per active appointment (pending payment, confirmed, in progress), kept by
  -- appointments_track: unpartitioned, it holds the rules a partitioned table can't (a unique index
  -- there must include starts_at; exclusion constraints there need PostgreSQL 17). Its slot,
  -- status and hold also serve the booking's quota and the hold expiry without reading appointments.
  CREATE TABLE patient_commitments (
    appointment_id uuid PRIMARY KEY,
    patient_id uuid NOT NULL,
    doctor_id uuid NOT NULL,
    -- Exactly one active appointment per slot, whatever the code does.
    slot_id uuid NOT NULL CONSTRAINT patient_commitments_one_per_slot UNIQUE,
    during tstzrange NOT NULL,
    status text NOT NULL CHECK (status IN ${ACTIVE}),
    hold_expires_at timestamptz,
    -- A patient never holds two active appointments that overlap in time.
    CONSTRAINT patient_commitments_no_overlap EXCLUDE USING gist (patient_id WITH =, during WITH &&)
  );
  CREATE INDEX patient_commitments_holds_idx ON patient_commitments (hold_expires_at)
    WHERE status = 'pending_payment';

  -- appointment_ids and patient_commitments follow every row, whatever the statement. A reschedule
  -- across months moves the row to another partition: PostgreSQL runs BEFORE UPDATE on the old
  -- partition, then BEFORE INSERT on the new one (where both tables already hold it).
  CREATE FUNCTION appointments_track() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
      RAISE EXCEPTION 'an appointment keeps its id' USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'INSERT' THEN
      INSERT INTO appointment_ids (id, starts_at) VALUES (NEW.id, NEW.starts_at) ON CONFLICT (id) DO NOTHING;
    ELSIF NEW.starts_at <> OLD.starts_at THEN
      UPDATE appointment_ids SET starts_at = NEW.starts_at WHERE id = NEW.id;
    END IF;
    IF NEW.status IN ${ACTIVE} THEN
      IF TG_OP = 'INSERT' OR (NEW.patient_id, NEW.doctor_id, NEW.slot_id, NEW.starts_at, NEW.ends_at, NEW.status,
          NEW.hold_expires_at) IS DISTINCT FROM (OLD.patient_id, OLD.doctor_id, OLD.slot_id, OLD.starts_at,
          OLD.ends_at, OLD.status, OLD.hold_expires_at) THEN
        INSERT INTO patient_commitments
          VALUES (NEW.id, NEW.patient_id, NEW.doctor_id, NEW.slot_id, tstzrange(NEW.starts_at, NEW.ends_at),
                  NEW.status, NEW.hold_expires_at)
          ON CONFLICT (appointment_id) DO UPDATE SET patient_id = EXCLUDED.patient_id,
            doctor_id = EXCLUDED.doctor_id, slot_id = EXCLUDED.slot_id, during = EXCLUDED.during,
            status = EXCLUDED.status, hold_expires_at = EXCLUDED.hold_expires_at
          WHERE TG_OP = 'UPDATE';
      END IF;
    ELSIF TG_OP = 'UPDATE' AND OLD.status IN ${ACTIVE} THEN
      DELETE FROM patient_commitments WHERE appointment_id = OLD.id;
    END IF;
    RETURN NEW;
  END $$;

  -- A deleted appointment leaves both tables (a row that moved partition is deleted and inserted
  -- in one statement: its id now names the new start, and it stays). Children rows of a deleted
  -- one stop it, as their foreign keys to appointments did.
  CREATE FUNCTION appointments_forget() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF (SELECT starts_at FROM appointment_ids WHERE id = OLD.id) = OLD.starts_at THEN
      DELETE FROM patient_commitments WHERE appointment_id = OLD.id;
      DELETE FROM appointment_ids WHERE id = OLD.id;
    END IF;
    RETURN NULL;
  END $$;

  -- TRUNCATE would skip appointments_forget (and children's keys no longer stop it).
  CREATE FUNCTION appointments_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'appointments are removed row by row (DELETE), never truncated' USING ERRCODE = 'P0001';
  END $$;
  CREATE TRIGGER appointments_no_truncate BEFORE TRUNCATE ON appointments
    FOR EACH STATEMENT EXECUTE FUNCTION appointments_no_truncate();

  ${defaultPartition('appointments')}
  ${coverData('appointments', 'appointments_unpartitioned', 'starts_at')}

  INSERT INTO appointment_ids (id, starts_at) SELECT id, starts_at FROM appointments_unpartitioned;
  INSERT INTO appointments (${COLUMNS}) SELECT ${COLUMNS} FROM appointments_unpartitioned;
  INSERT INTO patient_commitments
    SELECT id, patient_id, doctor_id, slot_id, tstzrange(starts_at, ends_at), status, hold_expires_at
    FROM appointments_unpartitioned WHERE status IN ${ACTIVE};
  DROP TABLE appointments_unpartitioned;

  CREATE TRIGGER appointments_transition_guard BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_transition_guard();
  CREATE TRIGGER appointments_completed_at BEFORE UPDATE OF status ON appointments
    FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed')
    EXECUTE FUNCTION appointments_completed_at();
  CREATE TRIGGER appointments_track BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_track();
  CREATE TRIGGER appointments_forget AFTER DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_forget();

  ${childKeys('appointment_ids (id)')}
`;

export const appointmentsDown = sql`
  ${dropChildKeys}
  ALTER TABLE appointments RENAME TO appointments_partitioned;
  ALTER TABLE appointments_partitioned DROP CONSTRAINT appointments_pkey;
  DROP INDEX appointments_patient_idx, appointments_doctor_idx, appointments_starts_idx, appointments_slot_idx;

  -- Constraint names as 0003-0008 made them (the renamed table still has its own, so none is left to chance).
  CREATE TABLE appointments (
    id uuid CONSTRAINT appointments_pkey PRIMARY KEY DEFAULT gen_random_uuid(),
    slot_id uuid CONSTRAINT appointments_slot_id_fkey REFERENCES slots(id) ON DELETE SET NULL,
    doctor_id uuid NOT NULL CONSTRAINT appointments_doctor_id_fkey REFERENCES doctors(user_id),
    patient_id uuid NOT NULL CONSTRAINT appointments_patient_id_fkey REFERENCES users(id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    mode text NOT NULL CONSTRAINT appointments_mode_check CHECK (mode IN ('video', 'audio', 'chat')),
    reason text CONSTRAINT appointments_reason_sealed CHECK (reason IS NULL OR reason LIKE 'v1:%' OR reason LIKE 'v0:%'),
    status text NOT NULL CONSTRAINT appointments_status_check
      CHECK (status IN ('pending_payment', 'confirmed', 'in_progress', 'completed', 'cancelled', 'expired', 'no_show')),
    hold_expires_at timestamptz,
    fee_minor integer NOT NULL CONSTRAINT appointments_fee_minor_check CHECK (fee_minor >= 0),
    currency text NOT NULL,
    cancelled_by text CONSTRAINT appointments_cancelled_by_check CHECK (cancelled_by IN ('patient', 'doctor', 'admin')),
    cancel_reason text CONSTRAINT appointments_cancel_reason_sealed
      CHECK (cancel_reason IS NULL OR cancel_reason LIKE 'v1:%' OR cancel_reason LIKE 'v0:%'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    booked_starts_at timestamptz NOT NULL,
    completed_at timestamptz,
    CONSTRAINT appointments_check CHECK (status NOT IN ${ACTIVE} OR slot_id IS NOT NULL),
    CONSTRAINT appointments_check1 CHECK (status <> 'pending_payment' OR hold_expires_at IS NOT NULL),
    CONSTRAINT appointments_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
      WHERE (status IN ${ACTIVE})
  );
  INSERT INTO appointments (${COLUMNS}) SELECT ${COLUMNS} FROM appointments_partitioned;
  CREATE UNIQUE INDEX appointments_one_active_per_slot ON appointments (slot_id) WHERE status IN ${ACTIVE};
  CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at, id);
  CREATE INDEX appointments_doctor_idx ON appointments (doctor_id, starts_at, id);
  CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);
  CREATE INDEX appointments_holds_idx ON appointments (hold_expires_at) WHERE status = 'pending_payment';
  CREATE INDEX appointments_slot_idx ON appointments (slot_id);
  CREATE TRIGGER appointments_transition_guard BEFORE UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_transition_guard();
  CREATE TRIGGER appointments_completed_at BEFORE UPDATE OF status ON appointments
    FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed')
    EXECUTE FUNCTION appointments_completed_at();

  DROP TABLE appointments_partitioned;
  DROP TABLE patient_commitments;
  DROP TABLE appointment_ids;
  DROP FUNCTION appointments_track();
  DROP FUNCTION appointments_forget();
  DROP FUNCTION appointments_no_truncate();
  ${childKeys('appointments (id)')}
`;
