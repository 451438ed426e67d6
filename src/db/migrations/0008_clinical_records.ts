import { type Kysely, sql } from 'kysely';

/**
 * Clinical records (issue 9): what a prescription needs of the patient (date of birth, sex), when
 * an appointment was completed (the notes' edit window counts from it), versioned clinical notes
 * and prescriptions. Notes, prescription contents and rendered PDFs are PHI: only AES-256-GCM
 * envelopes (platform/crypto, 'v1:<kid>:…') are stored, never the text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A prescription names the patient's age and sex (SPEC §3.6); NULL until the patient says.
    ALTER TABLE users
      ADD COLUMN date_of_birth date,
      ADD COLUMN sex text CHECK (sex IN ('female', 'male', 'other'));

    -- When the consultation ended: set by the database as the status becomes completed (from the
    -- same UPDATE's updated_at, the caller's clock), so no code path can forget it.
    ALTER TABLE appointments ADD COLUMN completed_at timestamptz;
    UPDATE appointments SET completed_at = updated_at WHERE status = 'completed';
    ALTER TABLE appointments ADD CONSTRAINT appointments_completed_at
      CHECK ((status = 'completed') = (completed_at IS NOT NULL));
    CREATE FUNCTION appointments_completed_at() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      NEW.completed_at := NEW.updated_at;
      RETURN NEW;
    END $fn$;
    CREATE TRIGGER appointments_completed_at BEFORE UPDATE OF status ON appointments
      FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed')
      EXECUTE FUNCTION appointments_completed_at();

    -- Each save of an appointment's notes is a new version; earlier versions stay. The text is an
    -- envelope bound to (appointment_id, version).
    CREATE TABLE clinical_notes (
      appointment_id uuid NOT NULL REFERENCES appointments(id),
      version integer NOT NULL CHECK (version >= 1),
      author_id uuid NOT NULL REFERENCES users(id),
      body text NOT NULL CONSTRAINT clinical_notes_body_sealed CHECK (body LIKE 'v1:%'),
      created_at timestamptz NOT NULL,
      PRIMARY KEY (appointment_id, version)
    );

    -- A prescription version: its content (the canonical JSON of everything on it, sealed) and
    -- its SHA-256; the issuer as they were at issue time, in clear for public verification; an
    -- amendment supersedes the current version, which stays readable. The PDF is the rendered
    -- document, sealed as base64 in a text envelope, written once by the rendering job.
    CREATE TABLE prescriptions (
      id uuid PRIMARY KEY,
      appointment_id uuid NOT NULL REFERENCES appointments(id),
      version integer NOT NULL CHECK (version >= 1),
      doctor_id uuid NOT NULL REFERENCES users(id),
      patient_id uuid NOT NULL REFERENCES users(id),
      issued_at timestamptz NOT NULL,
      content text NOT NULL CONSTRAINT prescriptions_content_sealed CHECK (content LIKE 'v1:%'),
      content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
      verification_id text NOT NULL UNIQUE CHECK (verification_id ~ '^[a-z2-7]{26}$'),
      doctor_name text NOT NULL,
      registration_number text NOT NULL,
      council text NOT NULL,
      superseded_at timestamptz,
      superseded_by uuid REFERENCES prescriptions(id) DEFERRABLE INITIALLY DEFERRED,
      pdf text CONSTRAINT prescriptions_pdf_sealed CHECK (pdf LIKE 'v1:%'),
      pdf_rendered_at timestamptz,
      UNIQUE (appointment_id, version),
      CHECK ((superseded_at IS NULL) = (superseded_by IS NULL)),
      CHECK ((pdf IS NULL) = (pdf_rendered_at IS NULL))
    );
    -- One current (not superseded) version per appointment.
    CREATE UNIQUE INDEX prescriptions_current_idx ON prescriptions (appointment_id) WHERE superseded_at IS NULL;

    -- Records are kept: no row is deleted, and what a version says never changes. An UPDATE may
    -- only re-seal (key rotation: same plaintext, new envelope), supersede a current version once,
    -- or attach the PDF once.
    CREATE FUNCTION clinical_records_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% rows are kept: they can''t be deleted', TG_TABLE_NAME USING ERRCODE = 'P0001';
      END IF;
      IF TG_TABLE_NAME = 'clinical_notes' THEN
        IF (NEW.appointment_id, NEW.version, NEW.author_id, NEW.created_at)
           IS DISTINCT FROM (OLD.appointment_id, OLD.version, OLD.author_id, OLD.created_at) THEN
          RAISE EXCEPTION 'a clinical note version can only be re-sealed' USING ERRCODE = 'P0001';
        END IF;
      ELSIF (NEW.id, NEW.appointment_id, NEW.version, NEW.doctor_id, NEW.patient_id, NEW.issued_at,
             NEW.content_sha256, NEW.verification_id, NEW.doctor_name, NEW.registration_number, NEW.council)
          IS DISTINCT FROM (OLD.id, OLD.appointment_id, OLD.version, OLD.doctor_id, OLD.patient_id, OLD.issued_at,
             OLD.content_sha256, OLD.verification_id, OLD.doctor_name, OLD.registration_number, OLD.council)
        OR (OLD.superseded_at IS NOT NULL
            AND (NEW.superseded_at, NEW.superseded_by) IS DISTINCT FROM (OLD.superseded_at, OLD.superseded_by))
        OR (OLD.pdf IS NOT NULL AND (NEW.pdf IS NULL OR NEW.pdf_rendered_at IS DISTINCT FROM OLD.pdf_rendered_at)) THEN
        RAISE EXCEPTION 'a prescription version can only be re-sealed, superseded once or given its PDF once'
          USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $fn$;
    CREATE TRIGGER clinical_notes_guard BEFORE UPDATE OR DELETE ON clinical_notes
      FOR EACH ROW EXECUTE FUNCTION clinical_records_guard();
    CREATE TRIGGER prescriptions_guard BEFORE UPDATE OR DELETE ON prescriptions
      FOR EACH ROW EXECUTE FUNCTION clinical_records_guard();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE prescriptions;
    DROP TABLE clinical_notes;
    DROP FUNCTION clinical_records_guard();
    DROP TRIGGER appointments_completed_at ON appointments;
    DROP FUNCTION appointments_completed_at();
    ALTER TABLE appointments DROP CONSTRAINT appointments_completed_at;
    ALTER TABLE appointments DROP COLUMN completed_at;
    ALTER TABLE users DROP COLUMN sex, DROP COLUMN date_of_birth;
  `.execute(db);
}
