/**
 * When each step of a consultation may happen, around the appointment's start and end (SPEC §3.6).
 * One home for the windows: the lifecycle steps (changes.ts) and the video room (rooms/) read them.
 * - `start`: from `startEarlyMinutes` before the start (earlier: 409 TOO_EARLY with the instant).
 * - `no-show`: from `noShowAfterMinutes` after the start.
 * - The room: from `roomOpensBeforeMinutes` before the start to `roomClosesAfterMinutes` after the
 *   end.
 */
export interface ConsultationWindows {
  startEarlyMinutes: number;
  noShowAfterMinutes: number;
  roomOpensBeforeMinutes: number;
  roomClosesAfterMinutes: number;
}

const MINUTE = 60_000;

/** From when the doctor may take a lifecycle step (none for `complete`: it follows the start). */
export function stepOpensAt(
  step: 'start' | 'complete' | 'noShow',
  startsAt: Date,
  w: ConsultationWindows,
): Date | undefined {
  if (step === 'start') return new Date(startsAt.getTime() - w.startEarlyMinutes * MINUTE);
  if (step === 'noShow') return new Date(startsAt.getTime() + w.noShowAfterMinutes * MINUTE);
  return undefined;
}

export const roomWindow = (a: { startsAt: Date; endsAt: Date }, w: ConsultationWindows) => ({
  opensAt: new Date(a.startsAt.getTime() - w.roomOpensBeforeMinutes * MINUTE),
  closesAt: new Date(a.endsAt.getTime() + w.roomClosesAfterMinutes * MINUTE),
});
