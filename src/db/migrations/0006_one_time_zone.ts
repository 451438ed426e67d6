import { type Kysely, sql } from 'kysely';

/**
 * One time zone per doctor: the profile's. A schedule used to carry a zone of its own, so slots came
 * out in one zone and were labelled with the other. Where the two differed, the existing slots were
 * made in the schedule's zone, so that one becomes the profile's (nothing already generated moves);
 * then the schedule's column goes, and every reader takes the zone from the profile.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE doctors AS d SET timezone = ds.timezone, updated_at = now()
    FROM doctor_schedules AS ds
    WHERE ds.doctor_id = d.user_id AND ds.timezone <> d.timezone;
    ALTER TABLE doctor_schedules DROP COLUMN timezone;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE doctor_schedules ADD COLUMN timezone text;
    UPDATE doctor_schedules AS ds SET timezone = d.timezone FROM doctors AS d WHERE d.user_id = ds.doctor_id;
    ALTER TABLE doctor_schedules ALTER COLUMN timezone SET NOT NULL;
  `.execute(db);
}
