/**
 * The seeded past (`seed-load --appointments N`): what happened to each past slot of every seeded
 * doctor, told day by day. Each table's rows (history.ts) come from a pass over the same story, so
 * the story is a pure function of its inputs: every pass draws the same numbers in the same order.
 *
 * Invariants:
 * - Exactly N appointments, spread evenly over the past slots (selection sampling: each slot is
 *   booked with probability still-to-book / slots-left), at most one per slot.
 * - Everything happened by `now`: a past slot has ended; a review after `now` is not written.
 * - Times follow the product's order: a patient's account exists before they book; booking, then
 *   payment (2 minutes later), then cancellation (before the start), the start and completion (at
 *   the end) or a no-show (15 minutes in); an unpaid hold expires 10 minutes after booking.
 * - No patient has two visits at once (the product's patient_commitments rule): a patient drawn who
 *   is busy at that time gives way to the next one.
 * - A patient's cancellation is refunded by the product's rule (refundOnCancel, with the policy
 *   of the configuration): in full a day ahead; later, by LATE_CANCELLATION_REFUND_PERCENT.
 */
import { type ChangePolicy, refundOnCancel } from '../../modules/appointments/policy.ts';
import { generateSlots } from '../../modules/availability/plan.ts';
import { Random, seededUuid } from './random.ts';
import { seedSchedule } from './rows.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** The longest time between booking and the consultation. */
export const MAX_LEAD = 7 * DAY;
/** The horizon job made the past's slots this long before the first of them. */
export const SLOTS_MADE_BEFORE = 30 * DAY;
/** Patients' sign-ups start this long before the first past slot. */
const SIGNUPS_BEFORE = 30 * DAY;
/** How full the past is when --history-days is not given. */
const DEFAULT_UTILIZATION = 0.75;

export type Outcome = 'completed' | 'cancelled' | 'no_show' | 'expired';

export interface PastSlot {
  /** Its place in the story (0, 1, …): with the seed, it names the slot and its visit (names). */
  n: number;
  doctor: number;
  startsAt: number;
  endsAt: number;
  visit: Visit | null;
}

export interface Visit {
  slot: PastSlot;
  patient: number;
  outcome: Outcome;
  bookedAt: number;
  /** When the payment was captured (all but expired). */
  paidAt: number | null;
  /** When it reached its final status. */
  endedAt: number;
  /** Expired: the payment failed rather than being left unpaid. */
  paymentFailed: boolean;
  refundMinor: number;
  review: { rating: number; at: number } | null;
}

/** The ids of a story's things: pure functions of the seed and their place, the same in every pass. */
export function thingIds(seed: number) {
  return {
    slot: (s: PastSlot) => seededUuid(seed, 1, s.n, s.startsAt),
    appointment: (v: Visit) => seededUuid(seed, 2, v.slot.n, v.bookedAt),
    payment: (v: Visit) => seededUuid(seed, 3, v.slot.n, v.bookedAt),
    review: (v: Visit) => seededUuid(seed, 4, v.slot.n, v.review!.at),
    audit: (seq: number, at: number) => seededUuid(seed, 5, seq, at),
  };
}
export type Names = ReturnType<typeof thingIds>;

export interface History {
  /** The first past day (ms, the start of a UTC day). */
  from: number;
  days: number;
  slots: number;
  appointments: number;
  /** When patient i signed up (patients sign up evenly from SIGNUPS_BEFORE the first slot to now). */
  patientSince(i: number): number;
  /** How many patients had signed up by `t` (at least 1). */
  signedUpBy(t: number): number;
}

export interface StoryInput {
  seed: number;
  now: number;
  doctors: number;
  patients: number;
  fees: readonly number[];
  appointments: number;
  /** Omitted: as many days as make the past about DEFAULT_UTILIZATION full. */
  historyDays?: number;
  policy: ChangePolicy;
}

/** The longest past a story tells. */
export const MAX_HISTORY_DAYS = 3_650;

/** Past slot times of the seed schedule from `from` to `now` (ended), grouped by UTC day. */
function pastSlotDays(now: number, days: number): Array<Array<[number, number]>> {
  const from = Math.floor(now / DAY) * DAY - days * DAY;
  const slots = generateSlots(seedSchedule(days + 1), new Date(from - 1)).filter(
    (s) => s.endsAt.getTime() <= now,
  );
  const byDay = Map.groupBy(slots, (s) => Math.floor(s.startsAt.getTime() / DAY));
  return [...byDay.values()].map((day) => day.map((s) => [s.startsAt.getTime(), s.endsAt.getTime()]));
}

/** How many days of past the story covers, and its shape; throws when N doesn't fit. */
export function planHistory(input: StoryInput): History & { slotDays: Array<Array<[number, number]>> } {
  if (input.doctors < 1 || input.patients < input.doctors) {
    throw new RangeError('appointments need doctors, and at least as many patients as doctors');
  }
  const perDay = (days: number) => pastSlotDays(input.now, days).flat().length / Math.max(1, days);
  const days = Math.min(
    MAX_HISTORY_DAYS,
    input.historyDays ??
      Math.max(1, Math.ceil(input.appointments / (DEFAULT_UTILIZATION * input.doctors * perDay(28)))),
  );
  const slotDays = pastSlotDays(input.now, days);
  const slots = slotDays.flat().length * input.doctors;
  if (input.appointments > slots) {
    throw new RangeError(
      `${input.appointments.toLocaleString('en')} appointments need more past slots than ${input.doctors} doctors ` +
        `have in ${days} days (${slots.toLocaleString('en')}): raise --doctors or --history-days`,
    );
  }
  const from = Math.floor(input.now / DAY) * DAY - days * DAY;
  const signups = from - SIGNUPS_BEFORE;
  const step = (input.now - signups) / input.patients;
  return {
    from,
    days,
    slots,
    appointments: input.appointments,
    slotDays,
    patientSince: (i) => Math.floor(signups + i * step),
    signedUpBy: (t) => Math.max(1, Math.min(input.patients, Math.floor((t - signups) / step))),
  };
}

/**
 * The past, one UTC day at a time: every doctor's slots of the day (doctor by doctor, in time
 * order) and the visit booked in each, if any. Call it once per table; each call tells the same.
 */
export function* story(input: StoryInput, history: ReturnType<typeof planHistory>): Generator<PastSlot[]> {
  const random = new Random(input.seed + 1);
  let toBook = input.appointments;
  let left = history.slots;
  for (const times of history.slotDays) {
    const day: PastSlot[] = [];
    // Who is seen at each time of the day (every doctor has the same slot times).
    const busy = new Map<number, Set<number>>(times.map(([startsAt]) => [startsAt, new Set<number>()]));
    for (let doctor = 0; doctor < input.doctors; doctor++) {
      for (const [startsAt, endsAt] of times) {
        const slot: PastSlot = { n: history.slots - left, doctor, startsAt, endsAt, visit: null };
        if (random.next() * left < toBook) {
          toBook--;
          const visit = visitOf(random, slot, input, history.signedUpBy);
          visit.patient = freePatient(busy.get(startsAt)!, visit.patient, history.signedUpBy(visit.bookedAt));
          slot.visit = visit;
        }
        left--;
        day.push(slot);
      }
    }
    yield day;
  }
}

/** `patient`, or the next one signed up by then who is not seen at that time; marked busy. */
function freePatient(busy: Set<number>, patient: number, signedUp: number): number {
  for (let tries = 0; tries < signedUp; tries++) {
    const p = (patient + tries) % signedUp;
    if (!busy.has(p)) {
      busy.add(p);
      return p;
    }
  }
  throw new RangeError('too few patients for the doctors: raise --patients');
}

function visitOf(
  random: Random,
  slot: PastSlot,
  input: StoryInput,
  signedUpBy: (t: number) => number,
): Visit {
  const fee = input.fees[slot.doctor]!;
  // Most bookings are a day or two ahead; some a week, some an hour.
  const lead = HOUR + Math.floor(random.next() ** 2 * (MAX_LEAD - HOUR));
  const bookedAt = slot.startsAt - lead;
  const patient = Math.floor(random.next() * signedUpBy(bookedAt));
  const roll = random.next();
  const outcome: Outcome =
    roll < 0.76 ? 'completed' : roll < 0.85 ? 'cancelled' : roll < 0.9 ? 'no_show' : 'expired';
  const paidAt = outcome === 'expired' ? null : bookedAt + 2 * MINUTE;
  let endedAt = slot.endsAt;
  let refundMinor = 0;
  if (outcome === 'expired') endedAt = bookedAt + 10 * MINUTE;
  if (outcome === 'no_show') endedAt = slot.startsAt + 15 * MINUTE;
  if (outcome === 'cancelled') {
    endedAt = paidAt! + Math.floor(random.next() * Math.max(MINUTE, slot.startsAt - HOUR - paidAt!));
    const starts = new Date(slot.startsAt);
    const at = { starts_at: starts, booked_starts_at: starts };
    refundMinor = refundOnCancel('patient', at, new Date(endedAt), fee, input.policy);
  }
  const paymentFailed = outcome === 'expired' && random.next() < 0.4;
  let review: Visit['review'] = null;
  if (outcome === 'completed' && random.next() < 0.35) {
    const at = slot.endsAt + HOUR + Math.floor(random.next() * 2 * DAY);
    const rating = [5, 5, 5, 5, 4, 4, 4, 3, 2, 1][Math.floor(random.next() * 10)]!;
    if (at <= input.now) review = { rating, at };
  }
  return {
    slot,
    patient,
    outcome,
    bookedAt,
    paidAt,
    endedAt,
    paymentFailed,
    refundMinor,
    review,
  };
}
