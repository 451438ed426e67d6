import { AppError, type AuthContext, conflict, notFound, type RequestMeta } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { ReadRouter } from '../../platform/db/replica.ts';
import type { AuditService } from '../audit/service.ts';
import { SPECIALIZATION_NAMES } from './reference.ts';
import * as repo from './repo.ts';
import { createDoctorReview, type Doctor, toDoctor } from './review.ts';
import type { ProfileInput, ProfilePatch } from './schemas.ts';
import { createDoctorSearch } from './search.ts';

export interface DoctorDeps {
  db: Db;
  clock: Clock;
  /** Public search reads through it (the read replica, when there is one). */
  reads: ReadRouter;
  audit: AuditService;
  /**
   * After a commit that changed what the public sees of the doctor. `regenerate`: its slots must be
   * made again from the schedule (it was just verified, or its time zone changed).
   */
  changed: (doctorId: string, change: { regenerate: boolean }) => Promise<void>;
}

/** Schedule, slot and PATCH changes need a profile to change. */
const profileRequired = () =>
  conflict('PROFILE_REQUIRED', 'Create your doctor profile first (PUT /api/v1/doctors/me)');

const registrationTaken = () =>
  conflict(
    'REGISTRATION_NUMBER_TAKEN',
    'Another verified doctor holds this registration number with this council: check the council’s register, and reject one of them',
  );

/** A stored profile as the input that would write it again (what a PATCH merges into). */
const profileOf = (row: repo.DoctorView): ProfileInput => ({
  registrationNumber: row.registration_number,
  council: row.council as ProfileInput['council'],
  specializations: row.specializations,
  languages: row.languages as ProfileInput['languages'],
  feeMinor: row.fee_minor,
  currency: row.currency as ProfileInput['currency'],
  modes: row.modes as ProfileInput['modes'],
  bio: row.bio,
  timezone: row.timezone,
  experienceYears: row.experience_years,
});
const definedOf = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** What free-text search matches: the doctor's name, specializations (by name) and bio. */
const searchTextOf = (name: string, specializations: string[], bio: string) =>
  [name, ...specializations.map((s) => SPECIALIZATION_NAMES.get(s) ?? s), bio].join(' ');

/** Whether `viewer` may see this doctor although it is not (yet) verified. */
const privileged = (id: string, viewer: AuthContext | null) =>
  viewer?.role === 'admin' || viewer?.userId === id;

export function createDoctorService({ db, clock, reads, audit, changed }: DoctorDeps) {
  const search = createDoctorSearch({ clock, reads });
  // The zones this database knows: a zone Intl accepts but PostgreSQL doesn't would break search.
  let zones: Promise<Set<string>> | undefined;

  async function assertTimeZone(timezone: string): Promise<void> {
    zones ??= repo.timeZoneNames(db).then((names) => new Set(names));
    if (!(await zones).has(timezone)) {
      throw new AppError(400, 'VALIDATION_FAILED', 'The time zone is not known', {
        errors: [{ path: 'body.timezone', message: 'must be an IANA time zone, e.g. Asia/Kolkata' }],
      });
    }
  }

  async function load(tx: Db, id: string): Promise<Doctor> {
    const row = await repo.findDoctor(tx, id);
    if (!row) throw notFound('Doctor');
    return toDoctor(row);
  }

  return {
    /**
     * PUT (a whole profile) or PATCH (the fields sent, merged under the doctor's lock, so two
     * PATCHes never lose each other's fields). Only a change of registration number or council
     * sends a verified doctor back to review: those are what the admin checked.
     */
    async upsertProfile(
      auth: AuthContext,
      given: ProfileInput | ProfilePatch,
      meta: RequestMeta,
      merge = false,
    ) {
      // Before the transaction: it asks the database (in embedded mode, one session: not inside).
      // A PATCH without a zone keeps the stored one, which was checked when it was set.
      if (given.timezone !== undefined) await assertTimeZone(given.timezone);
      const { profile, moved } = await db.transaction().execute(async (tx) => {
        const existing = await repo.lockDoctor(tx, auth.userId);
        const current = merge ? await repo.findDoctor(tx, auth.userId) : undefined;
        if (merge && !current) {
          throw profileRequired();
        }
        const input = (current ? { ...profileOf(current), ...definedOf(given) } : given) as ProfileInput;
        const name = (await repo.findUserName(tx, auth.userId)) ?? '';
        const registrationNumber = input.registrationNumber ?? null;
        const council = input.council ?? null;
        // A verified doctor who changes their registration goes back to review.
        const reset =
          existing?.verification_status === 'verified' &&
          (existing.registration_number !== registrationNumber || existing.council !== council);
        await repo.upsertProfile(
          tx,
          auth.userId,
          {
            registration_number: registrationNumber,
            council,
            specializations: [...new Set(input.specializations)],
            languages: [...new Set(input.languages)],
            fee_minor: input.feeMinor,
            currency: input.currency,
            modes: [...new Set(input.modes)],
            bio: input.bio,
            timezone: input.timezone,
            experience_years: input.experienceYears,
            search_text: searchTextOf(name, input.specializations, input.bio),
            updated_at: clock.now(),
          },
          reset ? 'reset' : 'keep',
        );
        await audit.record(tx, meta, {
          action: existing ? 'doctor.profile_updated' : 'doctor.profile_created',
          entity: 'doctor',
          entityId: auth.userId,
          details: reset ? { verification: 'reset to pending' } : {},
        });
        return {
          profile: await load(tx, auth.userId),
          moved: existing !== undefined && existing.timezone !== input.timezone,
        };
      });
      // A new zone moves the schedule's hours to other instants: its slots are made again.
      await changed(auth.userId, { regenerate: moved });
      return profile;
    },

    /**
     * Inside the transaction that changed a user's name (users.name): if they are a doctor, their
     * search text follows, under the doctor's lock (so a profile write running meanwhile can't put
     * the old name back). Returns what to call after the commit: public readers hear of it.
     */
    async nameChanged(tx: Db, id: string): Promise<() => Promise<void>> {
      if (!(await repo.lockDoctor(tx, id))) return async () => {};
      const row = (await repo.findDoctor(tx, id))!;
      await repo.setSearchText(tx, id, searchTextOf(row.name, row.specializations, row.bio), clock.now());
      return () => changed(id, { regenerate: false });
    },

    /** After a commit that moved the doctor's rating (a review): public readers hear of it. */
    ratingChanged: (id: string) => changed(id, { regenerate: false }),

    ...createDoctorReview(db),

    /** Verified doctors for everyone; others only for themselves and admins (404 otherwise). */
    async getVisible(id: string, viewer: AuthContext | null): Promise<Doctor> {
      const doctor = await load(db, id);
      if (doctor.verificationStatus !== 'verified' && !privileged(id, viewer)) throw notFound('Doctor');
      return doctor;
    },

    /** Inside a caller's transaction: locks the doctor's row so profile, schedule and slot changes run one at a time. */
    async lockForChange(tx: Db, id: string) {
      const row = await repo.lockDoctor(tx, id);
      if (!row) throw profileRequired();
      return { timezone: row.timezone, modes: row.modes, verified: row.verification_status === 'verified' };
    },

    async verify(
      id: string,
      input: { status: 'verified' | 'rejected'; reason?: string | undefined },
      meta: RequestMeta,
    ): Promise<Doctor> {
      const doctor = await db.transaction().execute(async (tx) => {
        const row = await repo.lockDoctor(tx, id);
        if (!row) throw notFound('Doctor');
        if (input.status === 'verified' && !row.registration_number) {
          throw conflict(
            'REGISTRATION_NUMBER_REQUIRED',
            'The doctor has no medical registration number to verify',
          );
        }
        await repo
          .setVerification(tx, id, {
            status: input.status,
            reason: input.reason ?? null,
            by: meta.actor?.id ?? '',
            at: clock.now(),
          })
          .catch((error: unknown) => {
            // One registration per verified doctor: the database's rule (migration 0017).
            if (sqlState(error) === SqlState.uniqueViolation) throw registrationTaken();
            throw error;
          });
        await audit.record(tx, meta, {
          action: input.status === 'verified' ? 'doctor.verified' : 'doctor.rejected',
          entity: 'doctor',
          entityId: id,
          details: {
            reason: input.reason ?? null,
            registrationNumber: row.registration_number,
            council: row.council,
          },
        });
        return load(tx, id);
      });
      await changed(id, { regenerate: input.status === 'verified' });
      return doctor;
    },

    ...search,
  };
}

export type DoctorService = ReturnType<typeof createDoctorService>;
