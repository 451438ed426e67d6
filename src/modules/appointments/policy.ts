/**
 * Money and time rules for changing a booking (SPEC §3.4):
 * - A patient cancelling at least `fullRefundHours` before the start gets everything back, later
 *   `lateRefundPercent`; a doctor or admin cancelling always refunds in full.
 * - "The start" is the earliest start the appointment ever had (booked_starts_at, kept by every
 *   move) or its current one, so no chain of moves can turn a late cancellation into an early one,
 *   whatever the reschedule cut-off.
 * - A patient may reschedule until `rescheduleCutoffHours` before the current start; nobody
 *   cancels or reschedules once it has started (an admin may still cancel, to settle a dispute).
 */
import { conflict } from '../../http/index.ts';
import { TRANSITIONS } from './state.ts';

/** The slot asked for is taken; `transient` when that may change at once (not stored as the key's answer). */
export const slotTaken = (transient: boolean) =>
  conflict('SLOT_UNAVAILABLE', 'This slot is no longer available; pick another', { transient });

/**
 * Why a slot the claim did not take can't be taken, said as precisely as the slot allows: it has
 * started (SLOT_IN_PAST), it is inside its doctor's booking notice (SLOT_TOO_SOON), or someone else
 * has it (SLOT_UNAVAILABLE; transient while it is still bookable: a request holds it this moment).
 */
export function whySlotRefused(
  slot: { status: string; starts_at: Date; notice_minutes: number; bookable: boolean },
  now: Date,
) {
  const startsAt = new Date(slot.starts_at);
  if (startsAt <= now) {
    return conflict('SLOT_IN_PAST', `This slot started at ${startsAt.toISOString()}; pick a later one`);
  }
  const closesAt = new Date(startsAt.getTime() - slot.notice_minutes * 60_000);
  if (!slot.bookable && closesAt <= now && (slot.status === 'open' || slot.status === 'held')) {
    return conflict(
      'SLOT_TOO_SOON',
      `This doctor takes bookings until ${slot.notice_minutes} minutes before the start; this slot closed at ${closesAt.toISOString()}`,
    );
  }
  return slotTaken(slot.bookable);
}

export interface ChangePolicy {
  fullRefundHours: number;
  lateRefundPercent: number;
  rescheduleCutoffHours: number;
}

const HOUR_MS = 3_600_000;

export interface Starts {
  starts_at: Date;
  booked_starts_at: Date;
}

const policyStart = (a: Starts) => Math.min(a.starts_at.getTime(), a.booked_starts_at.getTime());

/** How much of a captured payment a cancellation refunds, in minor units. */
export function refundOnCancel(
  by: 'patient' | 'doctor' | 'admin',
  a: Starts,
  now: Date,
  paidMinor: number,
  policy: ChangePolicy,
): number {
  if (by !== 'patient') return paidMinor;
  const early = policyStart(a) - now.getTime() >= policy.fullRefundHours * HOUR_MS;
  return early ? paidMinor : Math.floor((paidMinor * policy.lateRefundPercent) / 100);
}

/** Why this change is too late now, or null. */
export function tooLate(
  change: 'cancel' | 'reschedule',
  by: 'patient' | 'doctor' | 'admin',
  a: Starts,
  now: Date,
  policy: ChangePolicy,
): string | null {
  const toStart = a.starts_at.getTime() - now.getTime();
  if (toStart <= 0 && !(change === 'cancel' && by === 'admin')) {
    return `The appointment has started; it can't be ${change === 'cancel' ? 'cancelled' : 'rescheduled'} now`;
  }
  if (change === 'reschedule' && toStart < policy.rescheduleCutoffHours * HOUR_MS) {
    return `Appointments can be rescheduled until ${policy.rescheduleCutoffHours} h before they start`;
  }
  return null;
}

/**
 * What cancelling now would do, for the party asking, before they decide: whether they may, why
 * not, how much comes back, and until when a patient's cancellation refunds in full.
 */
export function cancellationQuote(
  by: 'patient' | 'doctor' | 'admin',
  a: Starts & { status: string },
  now: Date,
  paidMinor: number,
  policy: ChangePolicy,
) {
  const open = (TRANSITIONS.cancel.from as readonly string[]).includes(a.status);
  const refusal = open ? tooLate('cancel', by, a, now, policy) : `The appointment is ${a.status}`;
  return {
    canCancel: refusal === null,
    reason: refusal,
    paidMinor,
    refundMinor: refusal === null ? refundOnCancel(by, a, now, paidMinor, policy) : 0,
    fullRefundUntil:
      by === 'patient' ? new Date(policyStart(a) - policy.fullRefundHours * HOUR_MS).toISOString() : null,
  };
}
