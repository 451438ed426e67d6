import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { type Idempotency, metaOf, requireAuth, requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { AppointmentService } from './service.ts';

export const appointmentRoutes: FastifyPluginAsyncZod<{
  appointments: AppointmentService;
  idempotency: Idempotency;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { appointments, idempotency, mfaRequiredRoles }) => {
  const tags = ['appointments'];
  const security = [{ bearer: [] }];
  const guard = (roles: readonly Role[] | 'any') => requireRole(roles, { mfaRequiredRoles });
  // Authentication first (401 whatever the key), then the key.
  const idempotent = (roles: readonly Role[] | 'any') => [guard(roles), idempotency.idempotent];

  app.post(
    '/appointments',
    {
      preHandler: idempotent(['patient']),
      schema: {
        tags,
        summary: 'Book an open slot (Idempotency-Key required)',
        description:
          'Holds the slot and creates the appointment (`pending_payment`, or `confirmed` when the fee is 0) and its payment order in one transaction. Losers of a race get 409 SLOT_UNAVAILABLE at once.',
        security,
        headers: s.idempotencyHeaders,
        body: s.bookBody,
        response: { 201: s.appointmentSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await appointments.book(
            requireAuth(request),
            request.body,
            metaOf(request),
            request.idempotency?.handle,
          ),
        ),
  );

  app.get(
    '/appointments',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'Your appointments (admins: all), by start time',
        security,
        querystring: s.listQuery,
        response: {
          200: z.object({ items: z.array(s.appointmentSchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    async (request) => appointments.list(requireAuth(request), request.query),
  );

  app.get(
    '/appointments/:id',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'One of your appointments',
        security,
        params: s.idParams,
        response: { 200: s.appointmentSchema },
      },
    },
    async (request) => appointments.get(requireAuth(request), request.params.id),
  );

  app.post(
    '/appointments/:id/cancel',
    {
      preHandler: idempotent('any'),
      schema: {
        tags,
        summary: 'Cancel (patient, the doctor or an admin; Idempotency-Key required)',
        description:
          'Refunds per policy: a patient ≥ 24 h before the start gets everything back, later nothing (configurable); doctors and admins always refund in full.',
        security,
        headers: s.idempotencyHeaders,
        params: s.idParams,
        body: s.cancelBody,
        response: { 200: s.cancelResponse },
      },
    },
    async (request) =>
      appointments.cancel(
        requireAuth(request),
        request.params.id,
        request.body.reason,
        metaOf(request),
        request.idempotency?.handle,
      ),
  );

  app.post(
    '/appointments/:id/reschedule',
    {
      preHandler: idempotent(['patient']),
      schema: {
        tags,
        summary: 'Move to another open slot of the same doctor (Idempotency-Key required)',
        security,
        headers: s.idempotencyHeaders,
        params: s.idParams,
        body: s.rescheduleBody,
        response: { 200: s.appointmentSchema },
      },
    },
    async (request) =>
      appointments.reschedule(
        requireAuth(request),
        request.params.id,
        request.body.slotId,
        metaOf(request),
        request.idempotency?.handle,
      ),
  );

  for (const [path, step, summary] of [
    ['start', 'start', 'Start the consultation'],
    ['complete', 'complete', 'Complete the consultation'],
    ['no-show', 'noShow', 'Record that the patient did not come'],
  ] as const) {
    app.post(
      `/appointments/:id/${path}`,
      {
        preHandler: guard(['doctor', 'admin']),
        schema: { tags, summary, security, params: s.idParams, response: { 200: s.appointmentSchema } },
      },
      async (request) => appointments.advance(requireAuth(request), request.params.id, step, metaOf(request)),
    );
  }
};
