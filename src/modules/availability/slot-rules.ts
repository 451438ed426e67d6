import { AppError } from '../../http/index.ts';
import type { ConsultationMode } from '../../platform/db/schema.ts';
import type { PlannedSlot } from './plan.ts';
import { DEFAULT_HORIZON_DAYS } from './schemas.ts';

// What a slot a doctor adds by hand must be: bookable by a patient, as planned slots are.

/** Each slot starts in the future and lasts 5 to 240 minutes. */
export function invalidShape(planned: PlannedSlot[], now: Date) {
  planned.forEach((s, i) => {
    const length = s.endsAt.getTime() - s.startsAt.getTime();
    if (s.startsAt <= now) throw new AppError(400, 'SLOT_IN_PAST', `slots[${i}] starts in the past`);
    if (length < 5 * 60_000 || length > 240 * 60_000) {
      throw new AppError(400, 'VALIDATION_FAILED', `slots[${i}] must last between 5 and 240 minutes`, {
        errors: [
          { path: `body.slots.${i}.endsAt`, message: 'a slot lasts 5 to 240 minutes after it starts' },
        ],
      });
    }
  });
}

/**
 * A slot added by hand follows the schedule's own rules: none that patients could never book
 * (inside the booking notice) and none beyond the horizon the schedule keeps slots for.
 */
export function outsideBookingWindow(
  planned: PlannedSlot[],
  schedule: { minNoticeMinutes: number; horizonDays: number } | undefined,
  now: Date,
) {
  const notice = schedule?.minNoticeMinutes ?? 0;
  const horizonDays = schedule?.horizonDays ?? DEFAULT_HORIZON_DAYS;
  planned.forEach((s, i) => {
    if (s.startsAt.getTime() < now.getTime() + notice * 60_000) {
      throw new AppError(
        400,
        'SLOT_TOO_SOON',
        `slots[${i}] starts within your booking notice (${notice} minutes): no patient could book it`,
        {
          errors: [{ path: `body.slots.${i}.startsAt`, message: `must be at least ${notice} minutes ahead` }],
        },
      );
    }
    if (s.startsAt.getTime() > now.getTime() + horizonDays * 86_400_000) {
      throw new AppError(
        400,
        'SLOT_BEYOND_HORIZON',
        `slots[${i}] starts more than ${horizonDays} days ahead, beyond your schedule's horizon`,
        { errors: [{ path: `body.slots.${i}.startsAt`, message: `must be within ${horizonDays} days` }] },
      );
    }
  });
}

export function modeNotOffered(modes: readonly ConsultationMode[], wanted: ConsultationMode[]) {
  const missing = [...new Set(wanted.filter((m) => !modes.includes(m)))];
  if (missing.length > 0) {
    throw new AppError(
      400,
      'MODE_NOT_OFFERED',
      `Your profile does not offer ${missing.join(', ')}; add it to your modes first`,
    );
  }
}
