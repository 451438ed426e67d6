import { z } from 'zod';
import { decodeCursor, notFound, page } from '../../http/index.ts';
import type { Db } from '../../platform/db/index.ts';
import * as repo from './repo.ts';

/** The public profile. */
export function toDoctor(row: repo.DoctorView) {
  return {
    id: row.user_id,
    name: row.name,
    registrationNumber: row.registration_number,
    council: row.council,
    specializations: row.specializations,
    languages: row.languages,
    feeMinor: row.fee_minor,
    currency: row.currency,
    modes: row.modes,
    bio: row.bio,
    timezone: row.timezone,
    experienceYears: row.experience_years,
    rating: { average: Number(row.rating_avg), count: row.rating_count },
    verificationStatus: row.verification_status,
  };
}
export type Doctor = ReturnType<typeof toDoctor>;

/** The profile as its doctor and admins see it: with the review's outcome. */
export const toOwnDoctor = (row: repo.DoctorView) => ({
  ...toDoctor(row),
  verificationReason: row.verification_reason,
});

const reviewCursor = z.object({ t: z.iso.datetime(), id: z.uuid() });

/** What doctors read of their own review, and admins of everyone's. */
export function createDoctorReview(db: Db) {
  return {
    /** A doctor's own profile, in any review state (404 before it is created). */
    async own(id: string) {
      const row = await repo.findDoctor(db, id);
      if (!row) throw notFound('Doctor profile');
      return toOwnDoctor(row);
    },

    /** The admins' review queue (see repo.listForReview). */
    async reviewQueue(q: {
      status?: 'pending' | 'verified' | 'rejected' | undefined;
      q?: string | undefined;
      limit: number;
      cursor?: string | undefined;
    }) {
      const after = decodeCursor(q.cursor, reviewCursor);
      const rows = await repo.listForReview(db, {
        status: q.status,
        q: q.q,
        after: after ? { createdAt: new Date(after.t), id: after.id } : undefined,
        limit: q.limit + 1,
      });
      return page(
        rows,
        q.limit,
        (r) => ({ ...toOwnDoctor(r), email: r.email, createdAt: r.created_at.toISOString() }),
        (r) => ({ t: r.created_at.toISOString(), id: r.user_id }),
      );
    },
  };
}
