import { z } from 'zod';
import { cursorSchema, dateSchema, limitSchema, pageOf } from '../../http/index.ts';
import { CURRENCIES } from '../doctors/reference.ts';
import { timezoneSchema } from '../doctors/schemas.ts';
import { STATUSES } from './measures.ts';

/** Longest range one answer covers. */
export const MAX_DAYS = 366;
/** Without `from`: this many days up to `to` (today in `tz` by default). */
export const DEFAULT_DAYS = 30;

const day = (what: string) =>
  dateSchema
    .refine((d) => d >= '2000-01-01' && d <= '2099-12-31', 'must be a date from 2000-01-01 to 2099-12-31')
    .describe(`${what}, a calendar date in \`tz\` (YYYY-MM-DD)`)
    .optional();

export const rangeQuery = {
  from: day(`First day; default ${DEFAULT_DAYS - 1} days before \`to\``),
  to: day(`Last day, included; default today. At most ${MAX_DAYS} days from \`from\``),
  tz: timezoneSchema.default('Asia/Kolkata').describe('IANA zone the days are cut in (default Asia/Kolkata)'),
};

export const overviewQuery = z.strictObject(rangeQuery);

export const DOCTOR_SORTS = [
  'revenue',
  'booked',
  'completed',
  'utilization',
  'noShows',
  'slotsOffered',
  'rating',
  'name',
] as const;
export type DoctorSort = (typeof DOCTOR_SORTS)[number];

const doctorsFields = {
  ...rangeQuery,
  sort: z
    .enum(DOCTOR_SORTS)
    .default('revenue')
    .describe('Highest first (`name`: A to Z); ties by doctor id. Default `revenue`'),
  currency: z.enum(CURRENCIES).default('INR').describe('Revenue in this currency (fees are in INR today)'),
};
export const doctorsQuery = z.strictObject({ ...doctorsFields, limit: limitSchema, cursor: cursorSchema });
export const exportQuery = z.strictObject(doctorsFields);
export type DoctorsQuery = z.infer<typeof exportQuery> & { limit?: number; cursor?: string | undefined };

const count = z.number().int().min(0);
const rate = z.number().min(0).max(1).nullable();
const byStatusSchema = z
  .object(
    Object.fromEntries(STATUSES.map((s) => [s, count])) as Record<(typeof STATUSES)[number], typeof count>,
  )
  .describe('Appointments by status, by their start');
const revenueSchema = z
  .object({
    currency: z.string().meta({ examples: ['INR'] }),
    capturedMinor: z.number().int().describe('Payments captured, minor units (paise)'),
    refundedMinor: z.number().int().describe('Refunded or being refunded, minor units'),
    netMinor: z.number().int().describe('Captured − refunded, minor units'),
  })
  .meta({ id: 'AnalyticsRevenue' });

const rangeEcho = {
  from: z.iso.date(),
  to: z.iso.date(),
  tz: z.string().meta({ examples: ['Asia/Kolkata'] }),
};

export const overviewSchema = z
  .object({
    ...rangeEcho,
    appointments: byStatusSchema,
    booked: count.describe(
      'Paid and not abandoned: confirmed, in progress, completed, no-show, or cancelled after payment',
    ),
    revenue: z.array(revenueSchema).describe('Per currency, by the consultations’ start'),
    cancellationRate: rate.describe('Booked then cancelled / booked; null with nothing booked'),
    noShowRate: rate.describe('No-shows / (completed + no-shows); null when neither happened'),
    averageLeadHours: z
      .number()
      .nullable()
      .describe('Booking to start, averaged over booked; null with none'),
    newPatients: count.describe('Patients who signed up in the range'),
    days: z.array(
      z.object({
        date: z.iso.date(),
        appointments: byStatusSchema,
        booked: count,
        newPatients: count,
        revenue: z.array(revenueSchema),
      }),
    ),
    pendingChanges: count.describe(
      'Changes not yet in these figures (0: up to date; the rollups catch up within seconds)',
    ),
  })
  .meta({ id: 'AnalyticsOverview', description: 'How the business ran over a range of days' });

export const doctorRowSchema = z
  .object({
    doctorId: z.uuid(),
    name: z.string().meta({ examples: ['Dr. Meera Iyer'] }),
    specializations: z.array(z.string()),
    slotsOffered: count.describe('Slots starting in the range, not blocked'),
    slotsBooked: count,
    utilization: rate.describe('Booked slots / offered; null with none offered'),
    booked: count,
    completed: count,
    noShows: count,
    cancelled: count.describe('Cancelled after payment'),
    revenueMinor: z.number().int().describe('Captured − refunded in `currency`, minor units'),
    rating: z.object({ average: z.number().min(0).max(5), count }).describe('All reviews so far'),
  })
  .meta({ id: 'AnalyticsDoctor' });

export const doctorsSchema = pageOf(doctorRowSchema)
  .extend({
    ...rangeEcho,
    currency: z.string(),
    sort: z.enum(DOCTOR_SORTS),
    topSpecializations: z
      .array(
        z.object({
          specialization: z.string().meta({ examples: ['panchakarma'] }),
          doctors: count,
          booked: count,
          completed: count,
          revenueMinor: z.number().int(),
        }),
      )
      .describe('Up to 10, by booked consultations, over every doctor (not just this page)'),
    pendingChanges: count,
  })
  .meta({ id: 'AnalyticsDoctors' });

export const csvDocument = {
  description: 'The doctor table as CSV (UTF-8, a header row, one line per doctor, streamed)',
  content: {
    'text/csv': {
      schema: z
        .string()
        .meta({ examples: ['doctor_id,name,specializations,slots_offered,…\n'] })
        .describe("RFC 4180 CSV; a cell starting with = + - @ is prefixed with ' (spreadsheet-safe)"),
    },
  },
};
