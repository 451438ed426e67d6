/**
 * Calendar dates in the doctor's time zone, with Intl only: a day is a `YYYY-MM-DD` string, and
 * its bounds are the instants of local midnight in that zone (DST-safe: the offset is read twice).
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function partsIn(instant: Date, timeZone: string) {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dateFormats.set(timeZone, format);
  }
  const part = (type: string) => Number(format.formatToParts(instant).find((p) => p.type === type)?.value);
  return {
    year: part('year'),
    month: part('month'),
    day: part('day'),
    hour: part('hour'),
    minute: part('minute'),
    second: part('second'),
  };
}

/** The local date (`YYYY-MM-DD`) of an instant in a zone. */
export function dateIn(instant: Date | string, timeZone: string): string {
  const p = partsIn(new Date(instant), timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export const todayIn = (timeZone: string) => dateIn(new Date(), timeZone);

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = partsIn(new Date(instant), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant a local wall-clock time (`HH:MM`) on a local date happens in a zone. */
export function instantAt(date: string, time: string, timeZone: string): Date {
  const [y = 0, m = 1, d = 1] = date.split('-').map(Number);
  const [hour = 0, minute = 0] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  const first = wall - offsetAt(wall, timeZone);
  return new Date(wall - offsetAt(first, timeZone));
}

/** The instant a local date begins (local midnight) in a zone. */
export const startOfDay = (date: string, timeZone: string) => instantAt(date, '00:00', timeZone);

/** A date `days` later (or earlier) on the calendar. */
export function addDays(date: string, days: number): string {
  const [y = 0, m = 1, d = 1] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The Monday of the week a date is in (ISO weeks). */
export function mondayOf(date: string): string {
  const [y = 0, m = 1, d = 1] = date.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
  return addDays(date, 1 - weekday);
}

/** Groups items by the local date of their start, in order of the dates given. */
export function byDay<T extends { startsAt: string }>(items: T[], days: string[], timeZone: string) {
  const groups = new Map<string, T[]>(days.map((day) => [day, []]));
  for (const item of items) groups.get(dateIn(item.startsAt, timeZone))?.push(item);
  return [...groups.entries()].map(([day, dayItems]) => ({ day, items: dayItems }));
}
