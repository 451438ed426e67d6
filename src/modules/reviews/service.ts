import {
  type AuthContext,
  conflict,
  decodeCursor,
  notFound,
  page,
  type RequestMeta,
} from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { AppointmentService } from '../appointments/service.ts';
import type { AuditService } from '../audit/service.ts';
import type { DoctorService } from '../doctors/service.ts';
import * as repo from './repo.ts';
import { reviewCursor } from './schemas.ts';

/**
 * Reviews (SPEC §3.6): after a completed consultation its patient rates it 1–5, with a comment if
 * they like, once.
 *
 * Invariants (the database keeps each one, migration 0009; this file gives the friendly answers):
 * - one review per appointment, by its patient, of its doctor, once it is completed;
 * - the doctor's average and count move in the same transaction as the review;
 * - reviews are public on the doctor's page, without who wrote them.
 */
export function createReviews(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  appointments: AppointmentService;
  doctors: DoctorService;
}) {
  const { db, clock, audit, appointments, doctors } = deps;

  return {
    async create(
      auth: AuthContext,
      appointmentId: string,
      input: { rating: number; comment?: string | undefined },
      meta: RequestMeta,
    ) {
      const a = await appointments.get(auth, appointmentId, meta);
      if (a.patientId !== auth.userId) throw notFound('Appointment');
      if (a.status !== 'completed') {
        throw conflict(
          'INVALID_STATE',
          `Only a completed consultation can be reviewed; this one is ${a.status}`,
        );
      }
      const saved = await db
        .transaction()
        .execute(async (tx) => {
          const review = await repo.insert(tx, {
            appointmentId: a.id,
            doctorId: a.doctorId,
            patientId: auth.userId,
            rating: input.rating,
            comment: input.comment ?? null,
            now: clock.now(),
          });
          await audit.record(tx, meta, {
            action: 'review.created',
            entity: 'appointment',
            entityId: a.id,
            details: { reviewId: review.id, doctorId: a.doctorId, rating: input.rating },
          });
          return { review, rating: await repo.ratingOf(tx, a.doctorId) };
        })
        .catch((error: unknown) => {
          if (sqlState(error) === SqlState.uniqueViolation) {
            throw conflict('ALREADY_REVIEWED', 'You have already reviewed this consultation');
          }
          throw error;
        });
      await doctors.ratingChanged(a.doctorId);
      return {
        id: saved.review.id,
        appointmentId: a.id,
        doctorId: a.doctorId,
        rating: saved.review.rating,
        comment: saved.review.comment,
        createdAt: saved.review.created_at.toISOString(),
        doctorRating: { average: Number(saved.rating.rating_avg), count: saved.rating.rating_count },
      };
    },

    /** A visible doctor's reviews, newest first (404 where the profile would be). */
    async list(
      doctorId: string,
      viewer: AuthContext | null,
      q: { limit: number; cursor?: string | undefined },
    ) {
      await doctors.getVisible(doctorId, viewer);
      const before = decodeCursor(q.cursor, reviewCursor);
      const rows = await repo.forDoctor(
        db,
        doctorId,
        q.limit + 1,
        before ? { createdAt: new Date(before.t), id: before.id } : undefined,
      );
      return page(
        rows,
        q.limit,
        (r) => ({ id: r.id, rating: r.rating, comment: r.comment, createdAt: r.created_at.toISOString() }),
        (r) => ({ t: r.created_at.toISOString(), id: r.id }),
      );
    },
  };
}

export type Reviews = ReturnType<typeof createReviews>;
