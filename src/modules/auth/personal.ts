import { AppError, type AuthContext, type RequestMeta } from '../../http/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Sex } from '../../platform/db/schema.ts';
import { type AuthDeps, accountGone, accountOf, loadUser } from './parts.ts';
import * as repo from './repo.ts';

/**
 * What a prescription needs to say of its patient (SPEC §3.6): date of birth and sex, set by the
 * user (`PUT /me/profile`), and the age they make on a given day.
 *
 * Invariants:
 * - A date of birth is a calendar date, not after today (UTC) and at most 130 years before it.
 * - A change is audited with the names of the fields that changed, never their values.
 */

export const MAX_AGE_YEARS = 130;

export interface PersonalDetails {
  dateOfBirth: string;
  sex: Sex;
}

/** Whole years from `dateOfBirth` to `date` (both `YYYY-MM-DD`): a birthday counts from its day. */
export function ageOn(dateOfBirth: string, date: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

const utcDateOf = (at: Date) => at.toISOString().slice(0, 10);

export function createPersonalDetails(deps: AuthDeps) {
  const { db, clock, audit } = deps;

  return {
    /** PUT /me/profile: the account as GET /me shows it. */
    async setPersonalDetails(auth: AuthContext, input: PersonalDetails, meta: RequestMeta) {
      const today = utcDateOf(clock.now());
      if (input.dateOfBirth > today || ageOn(input.dateOfBirth, today) > MAX_AGE_YEARS) {
        throw new AppError(400, 'VALIDATION_FAILED', 'The date of birth is not a possible one', {
          errors: [
            {
              path: 'body.dateOfBirth',
              message: `must be a past date, at most ${MAX_AGE_YEARS} years ago`,
            },
          ],
        });
      }
      const user = await db.transaction().execute(async (tx) => {
        const before = await repo.lockUser(tx, auth.userId);
        if (!before) throw accountGone();
        const changed = [
          ...(before.date_of_birth !== input.dateOfBirth ? ['dateOfBirth'] : []),
          ...(before.sex !== input.sex ? ['sex'] : []),
        ];
        if (changed.length === 0) return before;
        const after = await repo.updateProfile(
          tx,
          auth.userId,
          { date_of_birth: input.dateOfBirth, sex: input.sex },
          clock.now(),
        );
        await audit.record(tx, meta, {
          action: 'user.profile_updated',
          entity: 'user',
          entityId: auth.userId,
          details: { fields: changed },
        });
        return after!;
      });
      return accountOf(user);
    },

    /**
     * What a prescription issued on `date` (`YYYY-MM-DD`) says of its patient, inside the caller's
     * transaction; `missing` names the details the patient has not set yet.
     */
    async patientDetails(tx: Db, userId: string, date: string) {
      const user = await loadUser(tx, userId);
      const missing = [
        ...(user.date_of_birth === null ? ['dateOfBirth'] : []),
        ...(user.sex === null ? ['sex'] : []),
      ];
      return {
        name: user.name,
        sex: user.sex,
        age: user.date_of_birth === null ? null : ageOn(user.date_of_birth, date),
        missing,
      };
    },
  };
}
