import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Role } from '../../config.ts';
import { type Idempotency, metaOf, pageOf, requireAuth, requireRole } from '../../http/index.ts';
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
  // Authentication and role first (401/403 whatever the key), then the key.
  const idempotent = (roles: readonly Role[] | 'any') => [guard(roles), idempotency.requireKey];
  const keyed =
    'Replays the first answer for a repeated Idempotency-Key (header `Idempotent-Replayed: true`).';

  app.post(
    '/appointments',
    {
      preHandler: idempotent(['patient']),
      schema: {
        tags,
        summary: 'Book a slot (Idempotency-Key required)',
        description: `Holds the slot and creates the appointment (\`pending_payment\`, or \`confirmed\` when the fee is 0) with its payment, in one statement. Then pay: \`POST /payments/{payment.id}/checkout\`. Losers of a race get 409 SLOT_UNAVAILABLE at once; too many unpaid holds → 409 TOO_MANY_HOLDS. ${keyed}`,
        security,
        'x-problems': {
          400: ['MODE_MISMATCH'],
          404: ['NOT_FOUND'],
          409: [
            'SLOT_UNAVAILABLE',
            'SLOT_TOO_SOON',
            'SLOT_IN_PAST',
            'TOO_MANY_HOLDS',
            'TOO_MANY_BOOKINGS',
            'HOLD_COOLDOWN',
            'PATIENT_CONFLICT',
          ],
        },
        headers: s.idempotencyHeaders,
        body: s.bookBody,
        response: { 201: s.appointmentSchema },
      },
    },
    (request, reply) =>
      idempotency.respond(
        request,
        reply,
        (key) => appointments.book(requireAuth(request), request.body, metaOf(request), key),
        appointments.renderBooking,
      ),
  );

  app.get(
    '/appointments',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'Your appointments (admins: all), by start time',
        description:
          'A patient sees theirs, a doctor theirs, an admin everyone’s; each names both parties. An admin’s list leaves out the free text (`reason`, `cancelReason`: PHI); GET /appointments/{id} shows it, and records the read in the audit trail.',
        security,
        'x-problems': { 400: ['INVALID_RANGE'] },
        querystring: s.listQuery,
        response: { 200: pageOf(s.listedAppointmentSchema) },
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
        description:
          'With the free text. An admin reading another’s appointment is recorded in the audit trail (`appointment.read`).',
        security,
        params: s.idParams,
        response: { 200: s.appointmentSchema },
      },
    },
    async (request) => appointments.get(requireAuth(request), request.params.id, metaOf(request)),
  );

  app.get(
    '/appointments/:id/cancellation',
    {
      preHandler: guard('any'),
      schema: {
        tags,
        summary: 'What cancelling now would refund, and until when the full refund holds (changes nothing)',
        security,
        params: s.idParams,
        response: { 200: s.cancellationQuoteSchema },
      },
    },
    async (request) => appointments.cancellation(requireAuth(request), request.params.id),
  );

  app.post(
    '/appointments/:id/cancel',
    {
      preHandler: idempotent('any'),
      schema: {
        tags,
        summary: 'Cancel (patient, the doctor or an admin; Idempotency-Key required)',
        description: `Refunds per policy: a patient ≥ 24 h before the start gets everything back, later nothing (configurable); doctors and admins always refund in full. The start is the earlier of the booked and the current one. Not after the start (admins excepted): 409 TOO_LATE. Admins cancel anyone’s appointment that has not begun, also past its start time: their tool for disputes (and for the bookings of an account they suspend). ${keyed}`,
        security,
        'x-problems': { 409: ['INVALID_STATE', 'TOO_LATE', 'CONCURRENT_UPDATE'] },
        headers: s.idempotencyHeaders,
        params: s.idParams,
        body: s.cancelBody,
        response: { 200: s.cancelResponse },
      },
    },
    (request, reply) =>
      idempotency.respond(
        request,
        reply,
        (key) =>
          appointments.cancel(
            requireAuth(request),
            request.params.id,
            request.body.reason,
            metaOf(request),
            key,
          ),
        appointments.renderCancel,
      ),
  );

  app.post(
    '/appointments/:id/reschedule',
    {
      preHandler: idempotent(['patient']),
      schema: {
        tags,
        summary: 'Move to another open slot of the same doctor (Idempotency-Key required)',
        description: `Atomic: the old slot reopens and the new one is taken, or nothing changes. Until the reschedule cut-off (default 24 h before the start): 409 TOO_LATE after it. ${keyed}`,
        security,
        'x-problems': {
          400: ['DIFFERENT_DOCTOR'],
          409: [
            'INVALID_STATE',
            'TOO_LATE',
            'SAME_SLOT',
            'SLOT_UNAVAILABLE',
            'SLOT_TOO_SOON',
            'SLOT_IN_PAST',
            'PATIENT_CONFLICT',
            'CONCURRENT_UPDATE',
          ],
        },
        headers: s.idempotencyHeaders,
        params: s.idParams,
        body: s.rescheduleBody,
        response: { 200: s.appointmentSchema },
      },
    },
    (request, reply) =>
      idempotency.respond(
        request,
        reply,
        (key) =>
          appointments.reschedule(
            requireAuth(request),
            request.params.id,
            request.body.slotId,
            metaOf(request),
            key,
          ),
        appointments.renderChange,
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
        schema: {
          tags,
          summary,
          security,
          'x-problems': { 409: ['INVALID_STATE', 'TOO_EARLY'] },
          params: s.idParams,
          response: { 200: s.appointmentSchema },
        },
      },
      async (request) => appointments.advance(requireAuth(request), request.params.id, step, metaOf(request)),
    );
  }
};
