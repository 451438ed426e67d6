import type { ConsultationMode, SlotStatus } from '../../platform/db/schema.ts';
import { addDays, isoWeekday, minutesOf, zonedDate, zonedInstant } from './timezone.ts';

export interface Window {
  start: string;
  end: string;
  slotMinutes: number;
  mode: ConsultationMode;
}
export interface Rule extends Window {
  weekday: number;
}
export type Override = { date: string; unavailable: true } | ({ date: string; unavailable?: false } & Window);

export interface Schedule {
  timezone: string;
  rules: Rule[];
  /** A date with overrides uses only them: `unavailable` for a day off, windows for other hours. */
  overrides: Override[];
  bufferMinutes: number;
  horizonDays: number;
}

export interface PlannedSlot {
  startsAt: Date;
  endsAt: Date;
  mode: ConsultationMode;
}

export interface ExistingSlot extends PlannedSlot {
  id: string;
  status: SlotStatus;
  source: 'schedule' | 'manual';
}

const MINUTE = 60_000;

/**
 * The slots a schedule asks for, from `now` to the end of the horizon (horizonDays local dates,
 * today included), in the doctor's zone. A slot lasts slotMinutes of real time, even across a DST
 * change, and must end by its window's end; a start that doesn't exist locally is skipped.
 */
export function generateSlots(schedule: Schedule, now: Date): PlannedSlot[] {
  const { timezone } = schedule;
  const overridesByDate = Map.groupBy(schedule.overrides, (o) => o.date);
  const today = zonedDate(timezone, now);
  const slots: PlannedSlot[] = [];
  for (let i = 0; i < schedule.horizonDays; i++) {
    const date = addDays(today, i);
    const overrides = overridesByDate.get(date);
    const windows: Window[] = overrides
      ? overrides.filter((o): o is { date: string } & Window => !o.unavailable)
      : schedule.rules.filter((r) => r.weekday === isoWeekday(date));
    for (const window of windows) {
      const windowEnd = zonedInstant(timezone, date, minutesOf(window.end));
      const step = window.slotMinutes + schedule.bufferMinutes;
      for (let m = minutesOf(window.start); m + window.slotMinutes <= minutesOf(window.end); m += step) {
        const startsAt = zonedInstant(timezone, date, m);
        if (!startsAt) continue;
        const endsAt = new Date(startsAt.getTime() + window.slotMinutes * MINUTE);
        if (windowEnd && endsAt > windowEnd) continue;
        if (startsAt <= now) continue;
        slots.push({ startsAt, endsAt, mode: window.mode });
      }
    }
  }
  return slots.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

const keyOf = (s: PlannedSlot) => `${s.startsAt.getTime()}|${s.endsAt.getTime()}|${s.mode}`;
const overlaps = (a: PlannedSlot, b: PlannedSlot) => a.startsAt < b.endsAt && b.startsAt < a.endsAt;

/**
 * What to change so the future matches the schedule: open schedule slots it no longer asks for
 * are removed; held, booked, blocked and manual slots are never touched, and a wanted slot that
 * would overlap one of them is not added. Applying the plan twice changes nothing.
 */
export function planSlots(
  schedule: Schedule,
  existing: ExistingSlot[],
  now: Date,
): { add: PlannedSlot[]; remove: string[] } {
  const wanted = generateSlots(schedule, now);
  const wantedKeys = new Set(wanted.map(keyOf));
  const future = existing.filter((s) => s.startsAt > now);
  const remove = future.filter(
    (s) => s.source === 'schedule' && s.status === 'open' && !wantedKeys.has(keyOf(s)),
  );
  const removed = new Set(remove.map((s) => s.id));
  const kept = existing
    .filter((s) => !removed.has(s.id))
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const keptKeys = new Set(kept.map(keyOf));

  const add: PlannedSlot[] = [];
  let k = 0;
  for (const slot of wanted) {
    if (keptKeys.has(keyOf(slot))) continue;
    // Both lists are sorted by start: skip kept slots that end before this one starts.
    while (k < kept.length && kept[k]!.endsAt <= slot.startsAt) k++;
    // Kept slots never overlap each other, so sorted by start they are sorted by end too.
    let blocked = false;
    for (let j = k; j < kept.length && kept[j]!.startsAt < slot.endsAt && !blocked; j++)
      blocked = overlaps(kept[j]!, slot);
    const last = add.at(-1);
    if (blocked || (last && overlaps(last, slot))) continue;
    add.push(slot);
  }
  return { add, remove: remove.map((s) => s.id) };
}
