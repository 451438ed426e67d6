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
  const scheduleResponse = z.object({
    schedule: s.scheduleSchema,
    added: z.number().int(),
    removed: z.number().int(),
  });

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
      schema: { tags, summary: 'Your schedule', security, response: { 200: s.scheduleSchema } },
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
        security,
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
      schema: { tags, summary: 'Remove an open slot', security, params: z.strictObject({ id: idSchema }) },
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
        params: z.strictObject({ id: idSchema }),
        querystring: s.slotRangeQuery,
        response: {
          200: z.object({ doctorId: z.uuid(), timezone: z.string(), items: z.array(s.slotSchema) }),
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
