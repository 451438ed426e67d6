import { type Kysely, sql } from 'kysely';

/**
 * Reviews of completed consultations. The database keeps the rules:
 * - one review per appointment (unique), by its patient, of its doctor, once it was completed
 *   (reviews_check trigger), rated 1 to 5, a comment of at most 2,000 characters;
 * - the doctor's rating follows in the same transaction (reviews_rate_doctor): the sum of ratings is
 *   kept exactly (`rating_sum`), the average derived from it, so no rounding accumulates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE doctors ADD COLUMN rating_sum integer NOT NULL DEFAULT 0;
    UPDATE doctors SET rating_sum = round(rating_avg * rating_count)::int WHERE rating_count > 0;

    CREATE TABLE reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      appointment_id uuid NOT NULL UNIQUE REFERENCES appointments(id),
      doctor_id uuid NOT NULL REFERENCES doctors(user_id),
      patient_id uuid NOT NULL REFERENCES users(id),
      rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
      comment text CHECK (char_length(comment) <= 2000),
      created_at timestamptz NOT NULL
    );
    CREATE INDEX reviews_doctor_idx ON reviews (doctor_id, created_at DESC, id DESC);

    CREATE FUNCTION reviews_check() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER reviews_check BEFORE INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_check();
    CREATE FUNCTION reviews_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'reviews are not changed or removed once written';
    END $$;
    CREATE TRIGGER reviews_frozen BEFORE UPDATE OR DELETE ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_frozen();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE reviews;
    DROP FUNCTION reviews_check();
    DROP FUNCTION reviews_frozen();
    ALTER TABLE doctors DROP COLUMN rating_sum;
  `.execute(db);
}
