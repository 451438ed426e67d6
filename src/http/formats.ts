import { z } from 'zod';

const INSTANT = 'ISO 8601 with `Z` or an offset, e.g. `2026-03-02T09:30:00+05:30`; one without is refused';

/** An instant in a request, saying what it is for: with `Z` or an offset (one without is ambiguous). */
export const instantOf = (what: string) => z.iso.datetime({ offset: true }).describe(`${what}: ${INSTANT}`);

/** A calendar date (no time, no zone): whose zone it is in, the field says. */
export const dateSchema = z.iso.date().describe('A calendar date, `YYYY-MM-DD`');

/** An instant in a response: always UTC, ISO 8601 with milliseconds and `Z`. */
export const utcSchema = z.iso.datetime().describe('UTC instant, ISO 8601 (e.g. `2026-03-02T04:00:00.000Z`)');
