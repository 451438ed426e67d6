import { type Kysely, sql } from 'kysely';

/**
 * One medical registration per verified doctor: among verified doctors, (council, number) is unique.
 * The number is compared as the council prints it, whatever the spacing, punctuation or case
 * ("NCISM/AY/10234" = "ncism-ay 10234"), so a copy can't pass by writing it differently. The
 * admin's verify answers the friendly 409 REGISTRATION_NUMBER_TAKEN (doctors/service.ts); a
 * profile may hold a taken number while pending (it can't be verified with it).
 *
 * Rows verified before this rule that share a number: the first verified keeps it, each later one
 * goes back to review with a reason the admins read, and that change is audited like any other.
 */
const normalised = sql`upper(regexp_replace(registration_number, '[^[:alnum:]]', '', 'g'))`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    WITH ranked AS (
      SELECT user_id, row_number() OVER (
        PARTITION BY coalesce(council, ''), ${normalised}
        ORDER BY verified_at NULLS LAST, created_at, user_id
      ) AS n
      FROM doctors
      WHERE verification_status = 'verified'
    ), reset AS (
      UPDATE doctors d
      SET verification_status = 'pending',
          verification_reason = 'Another verified doctor holds this registration number: review again',
          verified_at = NULL,
          verified_by = NULL,
          updated_at = now()
      FROM ranked r
      WHERE r.user_id = d.user_id AND r.n > 1
      RETURNING d.user_id, d.registration_number, d.council
    )
    INSERT INTO audit_logs (occurred_at, action, entity, entity_id, request_id, details)
    SELECT now(), 'doctor.verification_reset', 'doctor', user_id::text, 'migration:0017_registration_unique',
           jsonb_build_object('reason', 'registration number taken', 'registrationNumber', registration_number,
                              'council', council)
    FROM reset
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX doctors_registration_unique
    ON doctors (coalesce(council, ''), (${normalised}))
    WHERE verification_status = 'verified'
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX doctors_registration_unique`.execute(db);
}
