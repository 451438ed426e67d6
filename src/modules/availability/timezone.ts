/**
 * Wall-clock time in an IANA zone ↔ UTC instants, with Intl only (no process TZ involved), so
 * results never depend on the server's zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// IANA names as written in the tz database (Area/Location, case as published), or UTC.
const ZONE_NAME = /^(UTC|[A-Z][A-Za-z_-]*(\/[A-Z][A-Za-z0-9_+-]*){1,2})$/;

/**
 * A first check for input (shape, and Intl knows it). Nothing is cached here: the input is
 * anyone's, and a cache keyed by it would grow without bound. The database's own list of zones
 * is the final word (see DoctorService.assertTimeZone).
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (!ZONE_NAME.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading in `timeZone` at `instantMs`, expressed as if it were UTC milliseconds. */
function wallClockMs(timeZone: string, instantMs: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/**
 * The instant at which the wall clock in `timeZone` reads `date` + `minutes` after midnight.
 * null when that reading never happens (the hour skipped when DST starts); when it happens twice
 * (the hour repeated when DST ends) the earlier instant.
 */
export function zonedInstant(timeZone: string, date: string, minutes: number): Date | null {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  // The zone's offset a day either side brackets every offset this reading could have.
  const offsets = new Set([
    wallClockMs(timeZone, wall - 86_400_000) - (wall - 86_400_000),
    wallClockMs(timeZone, wall + 86_400_000) - (wall + 86_400_000),
  ]);
  const candidates = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClockMs(timeZone, instant) === wall)
    .sort((a, b) => a - b);
  return candidates.length > 0 ? new Date(candidates[0]!) : null;
}

/** The calendar date (YYYY-MM-DD) in `timeZone` at `instant`. */
export function zonedDate(timeZone: string, instant: Date): string {
  return new Date(wallClockMs(timeZone, instant.getTime())).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a calendar date: Monday = 1 … Sunday = 7. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
