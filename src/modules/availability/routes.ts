import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { idSchema, metaOf, requireAuth, requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { AvailabilityService } from './service.ts';

export const availabilityRoutes: FastifyPluginAsyncZod<{
  availability: AvailabilityService;
  mfaRequiredRoles: readonly Role[];
  /** Schedule changes per doctor per minute (each one regenerates up to a horizon of slots). */
  schedulePerMinute: number;
}> = async (app, { availability, mfaRequiredRoles, schedulePerMinute }) => {
  const tags = ['availability'];
  const doctorOnly = requireRole(['doctor'], { mfaRequiredRoles });
  const security = [{ bearer: [] }];
  const scheduleResponse = z
    .object({
      schedule: s.scheduleSchema,
      added: z.number().int().describe('Slots made'),
      removed: z.number().int().describe('Open slots the schedule no longer wants'),
    })
    .meta({ id: 'ScheduleResult' });
  const noContent = z.undefined().describe('Done');

  app.put(
    '/doctors/me/schedule',
    {
      preHandler: doctorOnly,
      config: { rateLimit: { max: schedulePerMinute, scope: 'schedule' } },
      schema: {
        tags,
        summary: 'Set your weekly schedule and date overrides; regenerates open slots',
        description:
          'Rules repeat weekly in `timezone` (weekday 1 = Monday). A date listed in `overrides` uses only its overrides: `{date, unavailable: true}` for a day off, or windows for other hours. Held, booked, blocked and manually added slots are never touched. Slots are generated once the doctor is verified; a schedule that would make more slots than allowed is 400 SCHEDULE_TOO_LARGE.',
        security,
        'x-problems': {
          400: ['SCHEDULE_TOO_LARGE', 'MODE_NOT_OFFERED'],
          409: ['PROFILE_REQUIRED', 'TIMEZONE_MISMATCH'],
        },
        body: s.scheduleBody,
        response: { 200: scheduleResponse },
      },
    },
    async (request) => availability.putSchedule(requireAuth(request), request.body, metaOf(request)),
  );

  app.get(
    '/doctors/me/schedule',
    {
      preHandler: doctorOnly,
      schema: {
        tags,
        summary: 'Your schedule',
        security,
        'x-problems': { 404: ['NOT_FOUND'] },
        response: { 200: s.scheduleSchema },
      },
    },
    async (request) => availability.getSchedule(requireAuth(request)),
  );

  app.post(
    '/doctors/me/slots',
    {
      preHandler: doctorOnly,
      schema: {
        tags,
        summary: 'Add single slots (all or nothing)',
        description:
          'Each slot lasts 5–240 minutes, starts after your booking notice and within your schedule’s horizon (30 days without a schedule), and overlaps none of yours.',
        security,
        'x-problems': {
          400: ['SLOT_IN_PAST', 'SLOT_TOO_SOON', 'SLOT_BEYOND_HORIZON', 'MODE_NOT_OFFERED'],
          409: ['PROFILE_REQUIRED', 'SLOT_OVERLAP'],
        },
        body: s.newSlotsBody,
        response: { 201: z.object({ items: z.array(s.slotSchema) }) },
      },
    },
    async (request, reply) =>
      reply.status(201).send({
        items: await availability.addSlots(requireAuth(request), request.body.slots, metaOf(request)),
      }),
  );

  app.get(
    '/doctors/me/slots',
    {
      preHandler: doctorOnly,
      schema: {
        tags,
        summary: 'Your slots in every state, with the appointment holding each (also before verification)',
        description:
          'Default range: the next 7 days; at most 31 days. A hold that lapsed unpaid reads as open.',
        security,
        'x-problems': { 400: ['INVALID_RANGE', 'RANGE_TOO_LARGE'] },
        querystring: s.slotRangeQuery,
        response: { 200: z.object({ items: z.array(s.ownSlotSchema) }) },
      },
    },
    async (request) => availability.ownSlots(requireAuth(request), request.query),
  );

  app.delete(
    '/doctors/me/slots/:id',
    {
      preHandler: doctorOnly,
      schema: {
        tags,
        summary: 'Remove an open slot',
        security,
        'x-problems': { 409: ['SLOT_NOT_OPEN', 'PROFILE_REQUIRED'] },
        params: z.strictObject({ id: idSchema }),
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await availability.deleteSlot(requireAuth(request), request.params.id, metaOf(request));
      return reply.status(204).send();
    },
  );

  app.get(
    '/doctors/:id/slots',
    {
      schema: {
        tags,
        summary: 'Open, bookable slots of a verified doctor',
        description:
          'Default range: the next 7 days; at most 31 days. Times are UTC instants (ISO 8601); `timezone` is the doctor’s.',
        'x-problems': { 400: ['INVALID_RANGE', 'RANGE_TOO_LARGE'] },
        params: z.strictObject({ id: idSchema }),
        querystring: s.slotRangeQuery,
        response: {
          200: z
            .object({
              doctorId: z.uuid(),
              timezone: z
                .string()
                .meta({ examples: ['Asia/Kolkata'] })
                .describe('The doctor’s time zone'),
              items: z.array(s.slotSchema),
            })
            .meta({ id: 'DoctorSlots' }),
        },
      },
    },
    // Served from memory as a ready-made JSON string of the schema's shape (see read-model.ts),
    // sent as is rather than parsed and serialised again.
    async (request, reply) =>
      reply
        .type('application/json')
        .send((await availability.openSlots(request.params.id, request.query, request.auth)) as never),
  );
};
