import { z } from 'zod';
import { dateSchema, instantOf, utcSchema } from '../../http/index.ts';
import { modeSchema, timezoneSchema } from '../doctors/schemas.ts';
import { minutesOf } from './timezone.ts';

const time = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')
  .meta({ examples: ['09:00'] })
  .describe('Local wall-clock time in the doctor’s zone, HH:MM');
const endTime = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM (24-hour), up to 24:00')
  .meta({ examples: ['13:00'] })
  .describe('Local wall-clock time, HH:MM, up to 24:00');
const window = {
  start: time,
  end: endTime,
  slotMinutes: z
    .number()
    .int()
    .min(5)
    .max(240)
    .meta({ examples: [30] })
    .describe('Length of each slot'),
  mode: modeSchema,
};
const rule = z
  .strictObject({
    weekday: z.number().int().min(1).max(7).describe('ISO weekday: Monday = 1 … Sunday = 7'),
    ...window,
  })
  .meta({ id: 'ScheduleRule', description: 'Hours on one weekday, repeated every week' });
/** A day off, or other hours: what the planner takes (plan.ts's Override). */
const overrideView = z
  .union([
    z.object({ date: dateSchema, ...window, unavailable: z.literal(false).optional() }),
    z.object({ date: dateSchema, unavailable: z.literal(true) }),
  ])
  .meta({ id: 'ScheduleOverride', description: 'A date with other hours, or a day off' });
const HOURS = ['start', 'end', 'slotMinutes', 'mode'] as const;
/**
 * The same as input: one shape, so a missing or extra field is named (a union could only say that
 * neither shape matched).
 */
const override = z
  .strictObject({
    date: dateSchema.describe('A date in the doctor’s time zone'),
    unavailable: z.boolean().optional().describe('true: a day off (then no hours)'),
    start: time.optional(),
    end: endTime.optional(),
    slotMinutes: window.slotMinutes.optional(),
    mode: modeSchema.optional(),
  })
  .superRefine((o, ctx) => {
    for (const field of HOURS) {
      const message = o.unavailable
        ? o[field] !== undefined && 'must be left out on a day off (unavailable: true)'
        : o[field] === undefined && 'is required unless unavailable is true';
      // continue: false — nothing after this (the transform, the schedule's own checks) may run on it.
      if (message) ctx.addIssue({ code: 'custom', path: [field], message, continue: false });
    }
  })
  .meta({
    id: 'ScheduleOverrideRequest',
    description:
      'A day off `{date, unavailable: true}`, or other hours `{date, start, end, slotMinutes, mode}`',
  })
  .transform(
    (o): z.infer<typeof overrideView> =>
      o.unavailable
        ? { date: o.date, unavailable: true }
        : { date: o.date, start: o.start!, end: o.end!, slotMinutes: o.slotMinutes!, mode: o.mode! },
  );

type Windowed = { start: string; end: string; slotMinutes: number };

function checkWindows(windows: Windowed[], path: (string | number)[], ctx: z.RefinementCtx) {
  const sorted = windows.map((w, i) => ({ ...w, i })).sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
  for (const [n, w] of sorted.entries()) {
    if (minutesOf(w.end) - minutesOf(w.start) < w.slotMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, w.i, 'end'],
        message: 'the window must be at least one slot long',
      });
    }
    const next = sorted[n + 1];
    if (next && minutesOf(next.start) < minutesOf(w.end)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, next.i, 'start'],
        message: 'windows on the same day must not overlap',
      });
    }
  }
}

/** How far ahead slots are made (and may be added by hand) when the doctor sets nothing else. */
export const DEFAULT_HORIZON_DAYS = 30;

export const scheduleBody = z
  .strictObject({
    timezone: timezoneSchema
      .optional()
      .describe(
        'The doctor’s time zone, which is the profile’s (one zone per doctor): leave it out, or send the same. Change it with PATCH /doctors/me; the schedule’s slots then move to the new zone.',
      ),
    rules: z.array(rule).max(100),
    overrides: z.array(override).max(400).default([]).describe('A date listed here uses only its overrides'),
    bufferMinutes: z.number().int().min(0).max(240).default(0).describe('Minutes left free after each slot'),
    minNoticeMinutes: z
      .number()
      .int()
      .min(0)
      .max(43_200)
      .default(0)
      .describe('Patients book at least this long before a slot starts'),
    horizonDays: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(DEFAULT_HORIZON_DAYS)
      .describe('How many days ahead slots are kept'),
  })
  .superRefine((body, ctx) => {
    for (let weekday = 1; weekday <= 7; weekday++) {
      const rules = body.rules.map((r, i) => ({ ...r, i })).filter((r) => r.weekday === weekday);
      checkWindows(rules, ['rules'], ctx);
    }
    for (const [date, entries] of Map.groupBy(
      body.overrides.map((o, i) => ({ ...o, i })),
      (o) => o.date,
    )) {
      if (entries.some((e) => e.unavailable) && entries.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['overrides', entries[0]!.i],
          message: `${date} is both unavailable and has hours`,
        });
      }
      checkWindows(
        entries.filter((e): e is typeof e & Windowed => !e.unavailable),
        ['overrides'],
        ctx,
      );
    }
  })
  .meta({ id: 'ScheduleRequest' });
export type ScheduleInput = z.infer<typeof scheduleBody>;

/** A stored schedule as answered (in the doctor's zone, every default filled in). */
export const scheduleSchema = z
  .object({
    timezone: z.string().meta({ examples: ['Asia/Kolkata'] }),
    rules: z.array(rule),
    overrides: z.array(overrideView),
    bufferMinutes: z.number().int(),
    minNoticeMinutes: z.number().int(),
    horizonDays: z
      .number()
      .int()
      .meta({ examples: [30] }),
  })
  .meta({ id: 'Schedule', description: 'A weekly schedule, in the doctor’s time zone' });

export const slotSchema = z
  .object({
    id: z.uuid(),
    startsAt: utcSchema,
    endsAt: utcSchema.meta({ examples: ['2026-03-02T04:30:00.000Z'] }),
    mode: modeSchema,
    status: z.enum(['open', 'held', 'booked', 'blocked']),
  })
  .meta({ id: 'Slot' });

export const ownSlotSchema = slotSchema
  .extend({
    source: z.enum(['schedule', 'manual']).describe('Made from the weekly schedule, or added by hand'),
    appointmentId: z.uuid().nullable().describe('The appointment that holds or booked the slot'),
  })
  .meta({ id: 'OwnSlot', description: 'A slot as its doctor sees it' });

export const newSlotsBody = z
  .strictObject({
    slots: z
      .array(
        z.strictObject({
          startsAt: instantOf('When the slot starts').meta({ examples: ['2026-03-02T09:30:00+05:30'] }),
          endsAt: instantOf('When it ends (5–240 minutes later)').meta({
            examples: ['2026-03-02T10:00:00+05:30'],
          }),
          mode: modeSchema,
        }),
      )
      .min(1)
      .max(100),
  })
  .meta({ id: 'NewSlotsRequest' });

export const slotRangeQuery = z.strictObject({
  from: instantOf('Slots starting at or after this instant (default: now)').optional(),
  to: instantOf('…and before this one (default: 7 days after `from`; at most 31 days)').optional(),
});

/** What the availability socket sends (see socket.ts; the AsyncAPI document is built from these). */
export const slotEventSchema = z
  .object({ type: z.enum(['slot.updated', 'slot.removed']), slot: slotSchema })
  .meta({ id: 'SlotEvent', description: 'A slot of the doctor changed (any state) or was removed' });
export const socketReadySchema = z
  .object({ type: z.literal('ready'), doctorId: z.uuid() })
  .meta({ id: 'SocketReady', description: 'Subscribed: every later change is sent' });
export const socketHeartbeatSchema = z
  .object({ type: z.literal('heartbeat'), at: utcSchema })
  .meta({ id: 'SocketHeartbeat', description: 'Every 25 s, with a ping frame' });
export const socketMessageSchema = z
  .union([socketReadySchema, slotEventSchema, socketHeartbeatSchema])
  .meta({ id: 'SocketMessage', description: 'One JSON text message of the availability socket' });
export type SocketMessage = z.infer<typeof socketMessageSchema>;
