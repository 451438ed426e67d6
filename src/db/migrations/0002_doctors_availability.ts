import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE doctors (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      registration_number text CHECK (length(registration_number) BETWEEN 1 AND 64),
      council text CHECK (council IN ('NCISM', 'CCIM', 'STATE')),
      specializations text[] NOT NULL DEFAULT '{}',
      languages text[] NOT NULL DEFAULT '{}',
      fee_minor integer NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
      currency text NOT NULL DEFAULT 'INR' CHECK (currency ~ '^[A-Z]{3}$'),
      modes text[] NOT NULL DEFAULT '{}' CHECK (modes <@ ARRAY['video', 'audio', 'chat']),
      bio text NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
      timezone text NOT NULL DEFAULT 'Asia/Kolkata',
      experience_years integer NOT NULL DEFAULT 0 CHECK (experience_years BETWEEN 0 AND 80),
      verification_status text NOT NULL DEFAULT 'pending'
        CHECK (verification_status IN ('pending', 'verified', 'rejected')),
      verification_reason text,
      verified_at timestamptz,
      verified_by uuid REFERENCES users(id),
      rating_avg numeric(3, 2) NOT NULL DEFAULT 0,
      rating_count integer NOT NULL DEFAULT 0,
      -- Name, bio and specialization names, kept by the service for full-text and trigram search.
      search_text text NOT NULL DEFAULT '',
      search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (verification_status <> 'verified' OR registration_number IS NOT NULL)
    );
    -- Search runs over verified doctors only: every index is partial on that.
    CREATE INDEX doctors_specializations_idx ON doctors USING gin (specializations) WHERE verification_status = 'verified';
    CREATE INDEX doctors_languages_idx ON doctors USING gin (languages) WHERE verification_status = 'verified';
    CREATE INDEX doctors_modes_idx ON doctors USING gin (modes) WHERE verification_status = 'verified';
    CREATE INDEX doctors_fee_idx ON doctors (fee_minor, user_id) WHERE verification_status = 'verified';
    CREATE INDEX doctors_rating_idx ON doctors (rating_avg DESC, user_id DESC) WHERE verification_status = 'verified';
    CREATE INDEX doctors_tsv_idx ON doctors USING gin (search_tsv) WHERE verification_status = 'verified';
    CREATE INDEX doctors_trgm_idx ON doctors USING gin (search_text gin_trgm_ops) WHERE verification_status = 'verified';
    CREATE INDEX doctors_status_idx ON doctors (verification_status, created_at);

    CREATE TABLE doctor_schedules (
      doctor_id uuid PRIMARY KEY REFERENCES doctors(user_id) ON DELETE CASCADE,
      timezone text NOT NULL,
      rules jsonb NOT NULL,
      overrides jsonb NOT NULL,
      buffer_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
      min_notice_minutes integer NOT NULL DEFAULT 0 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
      horizon_days integer NOT NULL DEFAULT 30 CHECK (horizon_days BETWEEN 1 AND 90),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE slots (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES doctors(user_id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      mode text NOT NULL CHECK (mode IN ('video', 'audio', 'chat')),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'held', 'booked', 'blocked')),
      -- 'schedule' slots are owned by the weekly schedule (regeneration may remove them while open);
      -- 'manual' slots were added one by one and only the doctor removes them.
      source text NOT NULL CHECK (source IN ('schedule', 'manual')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT slots_ends_after_start CHECK (ends_at > starts_at),
      CONSTRAINT slots_length CHECK (ends_at - starts_at BETWEEN interval '5 minutes' AND interval '240 minutes'),
      -- One doctor's slots never overlap, whatever the code does.
      CONSTRAINT slots_no_overlap EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    );
    CREATE INDEX slots_doctor_start_idx ON slots (doctor_id, starts_at);
    CREATE INDEX slots_open_idx ON slots (doctor_id, starts_at) WHERE status = 'open';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE slots; DROP TABLE doctor_schedules; DROP TABLE doctors;`.execute(db);
}
