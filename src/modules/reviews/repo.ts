import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';

export interface NewReview {
  appointmentId: string;
  doctorId: string;
  patientId: string;
  rating: number;
  comment: string | null;
  now: Date;
}

/** Inserts the review (the database checks the appointment and moves the doctor's rating). */
export function insert(db: Db, r: NewReview) {
  return db
    .insertInto('reviews')
    .values({
      appointment_id: r.appointmentId,
      doctor_id: r.doctorId,
      patient_id: r.patientId,
      rating: r.rating,
      comment: r.comment,
      created_at: r.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function ratingOf(db: Db, doctorId: string) {
  return db
    .selectFrom('doctors')
    .select(['rating_avg', 'rating_count'])
    .where('user_id', '=', doctorId)
    .executeTakeFirstOrThrow();
}

/** A doctor's reviews, newest first, after the keyset position `before`. */
export function forDoctor(
  db: Db,
  doctorId: string,
  limit: number,
  before: { createdAt: Date; id: string } | undefined,
) {
  let q = db
    .selectFrom('reviews')
    .select(['id', 'rating', 'comment', 'created_at'])
    .where('doctor_id', '=', doctorId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) q = q.where(sql<SqlBool>`(created_at, id) < (${before.createdAt}, ${before.id}::uuid)`);
  return q.execute();
}
