import { z } from 'zod';

/** An instant in a request: ISO 8601 with `Z` or an offset. One without is ambiguous and refused. */
export const instantSchema = z.iso
  .datetime({ offset: true })
  .describe(
    'ISO 8601 instant with `Z` or an offset, e.g. `2026-03-02T09:30:00+05:30`; one without is refused',
  );

/** A calendar date (no time, no zone): whose zone it is in, the field says. */
export const dateSchema = z.iso.date().describe('A calendar date, `YYYY-MM-DD`');

/** An instant in a response: always UTC, ISO 8601 with milliseconds and `Z`. */
export const utcSchema = z.iso.datetime().describe('UTC instant, ISO 8601 (e.g. `2026-03-02T04:00:00.000Z`)');
